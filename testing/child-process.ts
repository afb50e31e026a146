// Test-side child processes shared by the unit/integration tests of lib/, db/ and bin/: spawn a
// real OS process, collect its stdout/stderr line by line, wait for a line or a condition (with
// the child's output in the failure), stop it (SIGTERM, then SIGKILL), or run one to its exit.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";

// __dirname, not import.meta: Playwright loads this file (through bin/testing/run-cli.ts) as CommonJS.
export const ROOT = path.resolve(__dirname, "..");
/** bin/ttp as deployed: one process running the bundle (rebuilt first when a source is newer). */
export const TTP_BIN = path.join(ROOT, "bin/ttp");
/** The CLI's TypeScript entry, run through TSX_LOADER. */
export const TTP_SOURCE = path.join(ROOT, "bin/ttp.ts");
/** `node --import TSX_LOADER script.ts` runs TypeScript directly. */
export const TSX_LOADER = path.join(ROOT, "node_modules/tsx/dist/loader.mjs");

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** The complete environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Default ROOT. */
  cwd?: string;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Feeds chunks in, calls `onLine` per complete line (without the newline). */
function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let partial = "";
  return (chunk) => {
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      onLine(line);
    }
  };
}

/** Polls `check` every `intervalMs` until it returns something other than undefined/false/null; throws after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 15,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(intervalMs);
  }
}

const live = new Set<LineProcess>();

/**
 * One child process (`node ...argv`) whose output is collected line by line. Subclasses parse
 * lines by overriding onStdoutLine / onStderrLine (call super to keep the raw lines).
 */
export class LineProcess {
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  /** All of stderr as received (including a last line without a newline). */
  stderr = "";
  status: ExitStatus | null = null;
  readonly exited: Promise<ExitStatus>;
  protected readonly child: ChildProcessWithoutNullStreams;

  constructor(
    readonly label: string,
    argv: string[],
    options: SpawnOptions = {},
  ) {
    this.child = spawn(process.execPath, argv, { cwd: options.cwd ?? ROOT, stdio: ["pipe", "pipe", "pipe"], ...(options.env ? { env: options.env } : {}) });
    live.add(this);
    const out = lineSplitter((line) => this.onStdoutLine(line));
    const err = lineSplitter((line) => this.onStderrLine(line));
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.setEncoding("utf8");
    this.child.stdout.on("data", out);
    this.child.stderr.on("data", (chunk: string) => {
      this.stderr += chunk;
      err(chunk);
    });
    // A child that is killed while we write to its stdin must not crash the test run.
    this.child.stdin.on("error", () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        this.status ??= { code, signal };
        live.delete(this);
        resolve(this.status);
      });
      this.child.on("error", (e) => {
        this.stderr += `spawn error: ${e.message}\n`;
        this.status = { code: null, signal: null };
        live.delete(this);
        resolve(this.status);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Writes lines to the child's stdin. */
  send(...lines: string[]): void {
    this.child.stdin.write(lines.map((l) => `${l}\n`).join(""));
  }

  endInput(): void {
    this.child.stdin.end();
  }

  kill(signal: NodeJS.Signals): void {
    if (this.status === null) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<ExitStatus> {
    if (this.status) return this.status;
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Polls `check` until it returns a value other than undefined/false/null; fails (with the
   * child's output) on timeout or when the child exits first without the condition holding.
   */
  async waitFor<T>(check: () => T | undefined | false | null, what: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined && v !== false && v !== null) return v;
      if (this.status) throw new Error(`${this.label} exited (${JSON.stringify(this.status)}) before ${what}\n${this.describe()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${this.label}: ${what}\n${this.describe()}`);
      await pause(15);
    }
  }

  /** The first stdout line `match` accepts, once it is out. */
  waitForLine(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string> {
    return this.waitFor(() => this.stdoutLines.find(match), what, timeoutMs);
  }

  describe(): string {
    const tail = this.stdoutLines.slice(-5).join("\n  ");
    return `[${this.label} pid ${this.pid}] ${this.stdoutLines.length} stdout line(s), last:\n  ${tail}\nstderr:\n${this.stderr.slice(-3000)}`;
  }

  protected onStdoutLine(line: string): void {
    this.stdoutLines.push(line);
  }

  protected onStderrLine(line: string): void {
    this.stderrLines.push(line);
  }
}

/** SIGKILLs every child process still running and waits for them to go. */
export async function killAllProcesses(): Promise<void> {
  const children = [...live];
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
}

export interface RunResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

/** Runs `node ...argv` to its exit with `input` on stdin; SIGKILLed after `timeoutMs` (default 30 s). */
export function runToExit(argv: string[], options: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: options.cwd ?? ROOT, stdio: ["pipe", "pipe", "pipe"], ...(options.env ? { env: options.env } : {}) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.on("error", () => undefined);
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}
