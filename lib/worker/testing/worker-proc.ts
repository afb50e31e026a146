// Test-side helpers for real `ttp worker` processes: spawn the CLI, feed events through stdin,
// read tags from stdout and the "applied <seq>" trace and JSON logs from stderr.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Tag } from "../../engine/types";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
// bin/ttp as deployed: one process running the bundle (rebuilt first when a source is newer).
const TTP_CLI = path.join(ROOT, "bin/ttp");

/** Pattern of the marker rule: a probe event is followed by a marker event; its tag proves the probe was processed. */
export const MARKER_RULE_ID = "ZZMARK";
export const MARKER_TEXT = "zz_marker_zz";

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<WorkerProc>();

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One `ttp worker` (or any ttp command) child process. */
export class WorkerProc {
  readonly tags: Tag[] = [];
  readonly stdoutLines: string[] = [];
  readonly logs: Record<string, unknown>[] = [];
  readonly stderrLines: string[] = [];
  /** Highest seq seen on an "applied"/"loaded" trace line (-1 before the first). */
  appliedSeq = -1;
  status: ExitStatus | null = null;
  readonly exited: Promise<ExitStatus>;
  private readonly child: ChildProcessWithoutNullStreams;
  private out = "";
  private err = "";
  private probes = 0;

  constructor(
    readonly label: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, [TTP_CLI, ...args], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    live.add(this);
    this.child.stdout.setEncoding("utf8");
    this.child.stderr.setEncoding("utf8");
    this.child.stdout.on("data", (d: string) => this.onStdout(d));
    this.child.stderr.on("data", (d: string) => this.onStderr(d));
    this.child.stdin.on("error", () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        this.status = { code, signal };
        live.delete(this);
        resolve(this.status);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(...events: unknown[]): void {
    this.child.stdin.write(events.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join("\n") + "\n");
  }

  endInput(): void {
    this.child.stdin.end();
  }

  kill(signal: NodeJS.Signals): void {
    if (this.status === null) this.child.kill(signal);
  }

  log(message: string): Record<string, unknown> | undefined {
    return this.logs.find((l) => l.message === message);
  }

  async waitFor<T>(check: () => T | undefined | false | null, what: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined && v !== false && v !== null) return v;
      if (this.status) throw new Error(`${this.label} exited (${JSON.stringify(this.status)}) before ${what}\n${this.describe()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${this.label}: ${what}\n${this.describe()}`);
      await sleep(15);
    }
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
  async stop(graceMs = 10_000): Promise<ExitStatus> {
    if (this.status) return this.status;
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  describe(): string {
    return `[${this.label} pid ${this.pid}] applied ${this.appliedSeq}, ${this.tags.length} tag(s); stderr tail:\n${this.stderrLines.slice(-15).join("\n")}`;
  }

  private onStdout(chunk: string): void {
    this.out += chunk;
    let nl: number;
    while ((nl = this.out.indexOf("\n")) >= 0) {
      const line = this.out.slice(0, nl);
      this.out = this.out.slice(nl + 1);
      this.stdoutLines.push(line);
      if (line.startsWith("{")) {
        try {
          this.tags.push(JSON.parse(line) as Tag);
        } catch {
          // Not a tag (a command's JSON output); kept in stdoutLines.
        }
      }
    }
  }

  private onStderr(chunk: string): void {
    this.err += chunk;
    let nl: number;
    while ((nl = this.err.indexOf("\n")) >= 0) {
      const line = this.err.slice(0, nl);
      this.err = this.err.slice(nl + 1);
      this.stderrLines.push(line);
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
}

/** SIGKILLs every child still running and waits for them. */
export async function killAll(): Promise<void> {
  const children = [...live];
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
}

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
export async function waitUntil<T>(check: () => Promise<T | undefined | false | null> | T | undefined | false | null, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
