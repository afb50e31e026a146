import { isTtpError, ValidationError, formatIssue } from "../lib/errors";

/** A usage mistake: exit code 1 with a one-line message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT = { ok: 0, invalid: 1, runtime: 2 } as const;

/** Maps an error to the CLI's exit code and prints it once (SPEC §7). */
export function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`ttp: ${err.message}\n`);
    return EXIT.invalid;
  }
  if (err instanceof ValidationError) {
    for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    return EXIT.invalid;
  }
  if (isTtpError(err)) {
    process.stderr.write(`ttp: ${err.message}\n`);
    return err.code === "NOT_FOUND" || err.code === "CONFLICT" || err.code === "FORBIDDEN" ? EXIT.invalid : EXIT.runtime;
  }
  process.stderr.write(`ttp: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.runtime;
}

/** Writes lines to stdout with backpressure, batching small writes. */
export class LineWriter {
  private buf: string[] = [];
  private size = 0;
  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly flushAt = 64 * 1024,
  ) {}

  async write(line: string): Promise<void> {
    this.buf.push(line);
    this.size += line.length + 1;
    if (this.size >= this.flushAt) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = this.buf.join("\n") + "\n";
    this.buf = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((resolve) => this.stream.once("drain", () => resolve()));
  }
}

export function parseNumberOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number between ${min} and ${max} (got "${value}")`);
  }
  return n;
}
