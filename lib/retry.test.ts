import { describe, expect, it } from "vitest";
import { backoffMs, retry, sleep } from "./retry";

describe("backoffMs", () => {
  it("doubles from 100 ms per failure up to the 5 s cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(backoffMs(0)).toBe(100);
    expect(backoffMs(10_000)).toBe(5000);
  });

  it("takes a base and a cap (a bare number is the cap)", () => {
    expect(backoffMs(3, { baseMs: 10, capMs: 30 })).toBe(30);
    expect(backoffMs(2, { baseMs: 10, capMs: 30 })).toBe(20);
    expect(backoffMs(9, 1000)).toBe(1000);
  });

  it("jitter takes off up to that fraction of the delay", () => {
    expect(backoffMs(3, { jitter: 0.5, random: () => 0 })).toBe(400);
    expect(backoffMs(3, { jitter: 0.5, random: () => 0.5 })).toBe(300);
    expect(backoffMs(3, { jitter: 0.5, random: () => 0.999999 })).toBe(200);
    expect(backoffMs(3, { jitter: 7, random: () => 1 })).toBe(0);
    expect(backoffMs(3, { jitter: -1, random: () => 1 })).toBe(400);
  });
});

describe("sleep", () => {
  it("resolves after the delay", async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it("resolves at once when the signal aborts, and when it already has", async () => {
    const c = new AbortController();
    // An hour: the test only finishes because the abort ends the sleep.
    const pending = sleep(3_600_000, c.signal);
    c.abort();
    await expect(pending).resolves.toBeUndefined();
    await expect(sleep(3_600_000, c.signal)).resolves.toBeUndefined();
  });
});

describe("retry", () => {
  const tiny = { baseMs: 1, capMs: 2 };

  it("calls again after failures and returns the first success", async () => {
    const seen: [number, number][] = [];
    const calls: number[] = [];
    const out = await retry(
      async (attempt) => {
        calls.push(attempt);
        if (attempt < 4) throw new Error(`fail ${attempt}`);
        return "ok";
      },
      { ...tiny, onRetry: (_err, attempt, delay) => seen.push([attempt, delay]) },
    );
    expect(out).toBe("ok");
    expect(calls).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual([
      [1, 1],
      [2, 2],
      [3, 2],
    ]);
  });

  it("throws at once an error shouldRetry refuses", async () => {
    let calls = 0;
    const refused = new Error("refused");
    const err = await retry(
      async () => {
        calls++;
        throw calls === 1 ? new Error("busy") : refused;
      },
      { ...tiny, shouldRetry: (e) => (e as Error).message === "busy" },
    ).catch((e: unknown) => e);
    expect(err).toBe(refused);
    expect(calls).toBe(2);
  });

  it("an abort during the wait ends it and throws the last error", async () => {
    const c = new AbortController();
    const last = new Error("down");
    let calls = 0;
    const err = await retry(
      async () => {
        calls++;
        throw last;
      },
      // An hour's wait: only the abort can end it.
      { baseMs: 3_600_000, capMs: 3_600_000, signal: c.signal, onRetry: () => c.abort() },
    ).catch((e: unknown) => e);
    expect(err).toBe(last);
    expect(calls).toBe(1);
  });

  it("an attempt that fails after the abort is not retried", async () => {
    const c = new AbortController();
    let calls = 0;
    const err = await retry(
      async () => {
        calls++;
        c.abort();
        throw new Error("stopped");
      },
      { ...tiny, signal: c.signal },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe("stopped");
    expect(calls).toBe(1);
  });
});
