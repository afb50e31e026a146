import { describe, expect, it } from "vitest";
import { describeInput, fireWindow, noisyRules, workerViews, type WorkerInput } from "./drift";

const NOW = Date.parse("2026-11-29T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const worker = (over: Partial<WorkerInput>): WorkerInput => ({
  workerId: "w1",
  role: "worker",
  hostname: "h",
  pid: 1,
  status: "ok",
  appliedSeq: 10,
  ruleCount: 5,
  eventsTotal: 100,
  tagsTotal: 20,
  malformedTotal: 0,
  reportIntervalMs: 5000,
  inputKind: "file",
  natsStream: null,
  natsDurable: null,
  natsPending: null,
  startedAt: ago(60_000),
  lastSeenAt: ago(1000),
  ...over,
});

describe("workerViews", () => {
  it("computes the lag against the head and a verdict an operator reads first", () => {
    const v = workerViews(
      [
        worker({ workerId: "a" }),
        worker({ workerId: "b", appliedSeq: 7 }),
        worker({ workerId: "c", status: "stale" }),
        worker({ workerId: "d", status: "error", appliedSeq: null }),
        worker({ workerId: "e", lastSeenAt: ago(16_000) }),
        worker({ workerId: "f", status: "stopped", lastSeenAt: ago(3_600_000) }),
        worker({ workerId: "g", reportIntervalMs: 60_000, lastSeenAt: ago(120_000) }),
      ],
      10,
      NOW,
    );
    expect(v.map((w) => [w.workerId, w.lag, w.verdict])).toEqual([
      ["a", 0, "ok"],
      ["b", 3, "behind"],
      ["c", 0, "stale"],
      ["d", null, "error"],
      ["e", 0, "silent"],
      ["f", 0, "stopped"],
      ["g", 0, "ok"],
    ]);
  });

  it("never reports a negative lag or a lag without a head", () => {
    expect(workerViews([worker({ appliedSeq: 12 })], 10, NOW)[0]?.lag).toBe(0);
    expect(workerViews([worker({})], null, NOW)[0]?.lag).toBeNull();
  });
});

describe("noisyRules", () => {
  it("sums over workers and orders by recent fires, then all-time fires, then id", () => {
    const rows = noisyRules([
      { workerId: "w1", ruleId: "R2", fires: 50, recentFires: 1, lastFiredAt: ago(5000) },
      { workerId: "w2", ruleId: "R2", fires: 10, recentFires: 4, lastFiredAt: ago(1000) },
      { workerId: "w1", ruleId: "R1", fires: 500, recentFires: 0, lastFiredAt: ago(600_000) },
      { workerId: "w1", ruleId: "R3", fires: 500, recentFires: 0, lastFiredAt: null },
      { workerId: "w1", ruleId: "R4", fires: 0, recentFires: 0, lastFiredAt: null },
    ]);
    expect(rows).toEqual([
      { ruleId: "R2", fires: 60, recentFires: 5, lastFiredAt: ago(1000), workers: 2 },
      { ruleId: "R1", fires: 500, recentFires: 0, lastFiredAt: ago(600_000), workers: 1 },
      { ruleId: "R3", fires: 500, recentFires: 0, lastFiredAt: null, workers: 1 },
    ]);
    expect(noisyRules([], 5)).toEqual([]);
  });
});

describe("describeInput", () => {
  it("names the input kind, and for NATS the stream/durable and the consumer's pending count", () => {
    expect(describeInput(worker({ inputKind: "nats", natsStream: "DECNET", natsDurable: "ttp", natsPending: 1234 }))).toBe("nats DECNET/ttp, 1234 pending");
    expect(describeInput(worker({ inputKind: "nats", natsStream: "DECNET", natsDurable: "ttp", natsPending: null }))).toBe("nats DECNET/ttp, pending unknown");
    expect(describeInput(worker({ inputKind: "stdin" }))).toBe("stdin");
    expect(describeInput(worker({ inputKind: null, role: "master" }))).toBe("-");
  });
});

describe("fireWindow", () => {
  it("ends with the bucket holding now and spans whole buckets", () => {
    const w = fireWindow(Date.parse("2026-11-29T12:07:30.000Z"), 24, 15);
    expect(w.toMinute * 60_000).toBe(Date.parse("2026-11-29T12:15:00.000Z"));
    expect((w.toMinute - w.fromMinute) / w.bucketMinutes).toBe(96);
  });
});
