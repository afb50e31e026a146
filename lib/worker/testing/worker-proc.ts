// Test-side helpers for real `ttp worker` processes: spawn the CLI, feed events through stdin,
// read tags from stdout and the "applied <seq>" trace and JSON logs from stderr.
import { createServer } from "node:net";
import { killAllProcesses, LineProcess, TTP_BIN as TTP_CLI, waitUntil as pollUntil, type ExitStatus } from "../../../testing/child-process";
import type { Tag } from "../../engine/types";

export { ROOT, type ExitStatus } from "../../../testing/child-process";

/** Pattern of the marker rule: a probe event is followed by a marker event; its tag proves the probe was processed. */
export const MARKER_RULE_ID = "ZZMARK";
export const MARKER_TEXT = "zz_marker_zz";

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One `ttp worker` (or any ttp command) child process. */
export class WorkerProc extends LineProcess {
  readonly tags: Tag[] = [];
  readonly logs: Record<string, unknown>[] = [];
  /** Highest seq seen on an "applied"/"loaded" trace line (-1 before the first). */
  appliedSeq = -1;
  private probes = 0;

  constructor(label: string, args: string[], env: NodeJS.ProcessEnv) {
    super(label, [TTP_CLI, ...args], { env });
  }

  override send(...events: unknown[]): void {
    super.send(...events.map((e) => (typeof e === "string" ? e : JSON.stringify(e))));
  }

  log(message: string): Record<string, unknown> | undefined {
    return this.logs.find((l) => l.message === message);
  }

  waitReady(timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.waitFor(() => this.log("worker ready") ?? this.log("master ready: database reconciled with the rules directory; following it"), "ready", timeoutMs);
  }

  waitApplied(seq: number, timeoutMs?: number): Promise<number> {
    return this.waitFor(() => (this.appliedSeq >= seq ? this.appliedSeq : undefined), `applied seq ${seq} (at ${this.appliedSeq})`, timeoutMs);
  }

  /**
   * Sends a command event and then a marker event; once the marker's tag is out, the probe's
   * tags are all out too (one worker evaluates and writes in input order). Returns the rule ids
   * that tagged the probe, sorted.
   */
  async probe(command: string, timeoutMs?: number): Promise<string[]> {
    const n = ++this.probes;
    const id = `probe-${this.label}-${n}`;
    const marker = `marker-${this.label}-${n}`;
    this.send(
      { source_kind: "command", source_id: id, payload: { command_text: command } },
      { source_kind: "command", source_id: marker, payload: { command_text: MARKER_TEXT } },
    );
    await this.waitFor(() => this.tags.some((t) => t.source_id === marker), `the marker tag of probe ${n} (${command})`, timeoutMs);
    return [...new Set(this.tags.filter((t) => t.source_id === id).map((t) => t.rule_id))].sort();
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  override stop(graceMs = 10_000): Promise<ExitStatus> {
    return super.stop(graceMs);
  }

  override describe(): string {
    return `[${this.label} pid ${this.pid}] applied ${this.appliedSeq}, ${this.tags.length} tag(s); stderr tail:\n${this.stderrLines.slice(-15).join("\n")}`;
  }

  protected override onStdoutLine(line: string): void {
    super.onStdoutLine(line);
    if (!line.startsWith("{")) return;
    try {
      this.tags.push(JSON.parse(line) as Tag);
    } catch {
      // Not a tag (a command's JSON output); kept in stdoutLines.
    }
  }

  protected override onStderrLine(line: string): void {
    super.onStderrLine(line);
    const trace = /^(applied|loaded) (\d+) /.exec(line);
    if (trace) {
      this.appliedSeq = Math.max(this.appliedSeq, Number(trace[2]));
    } else if (line.startsWith("{")) {
      try {
        this.logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Partial or foreign line; kept in stderrLines.
      }
    }
  }
}

/** SIGKILLs every child still running and waits for them. */
export const killAll = killAllProcesses;

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls a condition outside any child (e.g. a database read). */
export function waitUntil<T>(check: () => Promise<T | undefined | false | null> | T | undefined | false | null, what: string, timeoutMs = 20_000): Promise<T> {
  return pollUntil(check, what, timeoutMs, 20);
}
