// Shared plumbing of the child-process scripts the cross-process tests spawn: one JSON object
// per stdout line (a pipe write on Linux is synchronous, so a printed line is already visible to
// the parent when the next statement runs), stop on SIGTERM/SIGINT or when the parent closes stdin.
import { createStderrLogger } from "../../../logger";
import type { ChangeEvent } from "../../types";

export const procLogger = createStderrLogger("warn", `proc:${process.pid}`);

export function emit(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** One stdout line describing a change (snake_case like the CLI). */
export function changeLine(c: ChangeEvent): Record<string, unknown> {
  if (c.kind === "resync") return { type: "resync", reason: c.reason };
  const base = { type: "change", seq: c.seq, kind: c.kind, rule_id: c.ruleId, actor: c.actor, at: c.at };
  if (c.kind === "state") return { ...base, state: c.state.state, reason: c.state.reason, auto_revert: c.autoRevert };
  if (c.kind === "definition") return { ...base, revision: c.revision, reason: null, auto_revert: false };
  return { ...base, reason: null, auto_revert: false };
}

/** Calls `onLine` for each line on stdin and `onEnd` when the parent closes it (or dies). */
export function readStdin(onLine: (line: string) => void, onEnd: () => void): void {
  let buffered = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  process.stdin.on("end", onEnd);
}

/** Runs `stop` once on SIGTERM, SIGINT or end of stdin; `onLine` gets each stdin line until then. */
export function onTerminate(stop: () => void, onLine: (line: string) => void = () => undefined): void {
  let stopped = false;
  const once = (): void => {
    if (stopped) return;
    stopped = true;
    // Stop reading so the open stdin pipe no longer keeps the process alive.
    process.stdin.destroy();
    stop();
  };
  process.once("SIGTERM", once);
  process.once("SIGINT", once);
  readStdin(onLine, once);
}

export function requireArg(value: string | undefined, usage: string): string {
  if (value === undefined || value === "") {
    process.stderr.write(`usage: ${usage}\n`);
    process.exit(64);
  }
  return value;
}
