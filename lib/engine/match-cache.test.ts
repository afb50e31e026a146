import { describe, expect, it } from "vitest";
import { BYPASS_WINDOWS, MatchCache, MAX_KEY_LENGTH, WINDOW, type Hits } from "./match-cache";

const stats = (c: MatchCache) => ({ ...c.totals, entries: c.entries });

/** A cache over a compute function that counts its calls and answers [length of the value]. */
function counted(capacity: number) {
  const calls: string[] = [];
  const cache = new MatchCache(capacity, (v): Hits => {
    calls.push(v);
    return [v.length];
  });
  return { cache, calls };
}

describe("MatchCache", () => {
  it("answers a repeated value from the cache, the same array each time", () => {
    const { cache, calls } = counted(8);
    const first = cache.hits("uname -a");
    expect(first).toEqual([8]);
    expect(cache.hits("uname -a")).toBe(first);
    expect(calls).toEqual(["uname -a"]);
    expect(stats(cache)).toMatchObject({ lookups: 2, hits: 1, bypassed: 0, entries: 1 });
  });

  it("never caches values longer than MAX_KEY_LENGTH", () => {
    const { cache, calls } = counted(8);
    const long = "a".repeat(MAX_KEY_LENGTH + 1);
    cache.hits(long);
    cache.hits(long);
    expect(calls).toHaveLength(2);
    expect(stats(cache).entries).toBe(0);
  });

  it("keeps at most two generations of `capacity` entries; a value used again survives the turnover", () => {
    const { cache, calls } = counted(4);
    for (const v of ["a", "b", "c", "d"]) cache.hits(v); // young: a b c d
    cache.hits("e"); // young full → old: a b c d, young: e
    cache.hits("a"); // promoted from old (no compute)
    expect(calls).toEqual(["a", "b", "c", "d", "e"]);
    for (const v of ["f", "g"]) cache.hits(v); // young: e a f g (full)
    cache.hits("h"); // old: e a f g; b c d dropped
    expect(stats(cache).entries).toBeLessThanOrEqual(8);
    cache.hits("a");
    cache.hits("b");
    expect(calls.slice(5)).toEqual(["f", "g", "h", "b"]);
  });

  it("is bypassed for a while when a window is mostly misses (distinct values), then tried again", () => {
    const { cache, calls } = counted(WINDOW * 4);
    for (let i = 0; i < WINDOW; i++) cache.hits(`distinct ${i}`);
    expect(stats(cache)).toMatchObject({ lookups: WINDOW, hits: 0, bypassed: 0 });
    // Now bypassed: even a value the cache holds is computed again, nothing is inserted.
    const before = calls.length;
    cache.hits("distinct 0");
    expect(calls.length).toBe(before + 1);
    for (let i = 1; i < WINDOW * BYPASS_WINDOWS; i++) cache.hits(`other ${i}`);
    expect(stats(cache)).toMatchObject({ bypassed: WINDOW * BYPASS_WINDOWS, entries: WINDOW });
    // Tried again: the content was kept.
    const n = calls.length;
    expect(cache.hits("distinct 1")).toEqual(["distinct 1".length]);
    expect(calls.length).toBe(n);
  });

  it("stays on when most lookups hit", () => {
    const { cache } = counted(64);
    for (let i = 0; i < WINDOW * 3; i++) cache.hits(`v${i % 16}`);
    expect(stats(cache)).toMatchObject({ lookups: WINDOW * 3, hits: WINDOW * 3 - 16, bypassed: 0 });
  });

  it("adds to the totals it is given (one object for every cache of an engine)", () => {
    const totals = { lookups: 0, hits: 0, bypassed: 0 };
    const a = new MatchCache(8, () => [], totals);
    const b = new MatchCache(8, () => [0], totals);
    a.hits("x");
    a.hits("x");
    b.hits("x");
    expect(totals).toEqual({ lookups: 3, hits: 1, bypassed: 0 });
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new MatchCache(0, () => [])).toThrow(/positive integer/);
    expect(() => new MatchCache(1.5, () => [])).toThrow(/positive integer/);
  });
});
