// Which rules of a field group match a field value depends on the value alone (state, time and
// the event's ids only matter once a rule has matched), and honeypot traffic repeats itself: bots
// send the same command lines, URLs and user agents thousands of times. So each field group keeps
// a bounded memo from value to matching indices — what Logstash's useragent filter and the uap
// parsers do for user agents. A cached answer costs a Map lookup instead of a UTF-8 copy and an
// RE2 call (≈ 0.2 µs fixed plus ≈ 0.15 µs per matching rule in the binding).
//
// Bounds:
// - values longer than MAX_KEY_LENGTH are never cached (long values rarely repeat and cost hashing);
// - two generations of at most `capacity` entries (a value found in the old one moves to the young
//   one; a full young one becomes the old one and the old one is dropped), so memory stays below
//   2 × capacity × MAX_KEY_LENGTH characters per field group;
// - a miss costs more than no cache at all (the insert, and the value kept alive past the young
//   GC generation: ≈ 0.3 µs on the engine bench), so traffic that does not repeat — an attacker
//   sending distinct values, say — must not pay it for long: every WINDOW lookups the miss ratio
//   is checked, and above MAX_MISS_RATIO the cache is bypassed for BYPASS_WINDOWS windows, then
//   tried again (its content is kept: still valid, the patterns have not changed).

/** Matching indices in ascending order; shared between lookups, never mutated. */
export type Hits = readonly number[];

/** Values up to this many UTF-16 code units are cached. */
export const MAX_KEY_LENGTH = 256;
/** Default entries per generation (two generations per field group). */
export const DEFAULT_CAPACITY = 4096;
/** Lookups per review of the miss ratio. */
export const WINDOW = 1024;
/** Above this share of misses in a window the cache does not pay for itself. */
export const MAX_MISS_RATIO = 0.5;
/** Windows bypassed after a review found too many misses. */
export const BYPASS_WINDOWS = 15;

/** Counters of every cache of one engine, kept across rule changes (caches are rebuilt, these are not). */
export interface MatchCacheTotals {
  lookups: number;
  hits: number;
  /** Calls answered without the cache (bypass after a window with too many misses). */
  bypassed: number;
}

export interface MatchCacheStats extends MatchCacheTotals {
  /** Entries held now (both generations). */
  entries: number;
}

export function newTotals(): MatchCacheTotals {
  return { lookups: 0, hits: 0, bypassed: 0 };
}

export class MatchCache {
  private young = new Map<string, Hits>();
  private old = new Map<string, Hits>();
  /** Lookups and misses in the current window. */
  private seen = 0;
  private missed = 0;
  /** Calls left to answer without the cache. */
  private skip = 0;

  /**
   * @param capacity entries per generation
   * @param compute the answer for a value the cache does not hold (the RE2 call)
   * @param totals counters to add to (shared by the caches of one engine)
   */
  constructor(
    readonly capacity: number,
    private readonly compute: (value: string) => Hits,
    readonly totals: MatchCacheTotals = newTotals(),
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`match cache capacity must be a positive integer, got ${capacity}`);
  }

  /** compute(value), from the cache when it holds the value. */
  hits(value: string): Hits {
    if (value.length > MAX_KEY_LENGTH) return this.compute(value);
    const totals = this.totals;
    if (this.skip > 0) {
      this.skip--;
      totals.bypassed++;
      return this.compute(value);
    }
    totals.lookups++;
    let hits = this.young.get(value);
    if (hits === undefined) {
      hits = this.old.get(value);
      if (hits === undefined) {
        hits = this.compute(value);
        this.missed++;
      } else totals.hits++;
      this.insert(value, hits);
    } else totals.hits++;
    if (++this.seen === WINDOW) this.review();
    return hits;
  }

  /** Entries held by both generations (a promoted value counts twice until the old one is dropped). */
  get entries(): number {
    return this.young.size + this.old.size;
  }

  private insert(value: string, hits: Hits): void {
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(value, hits);
  }

  private review(): void {
    if (this.missed > WINDOW * MAX_MISS_RATIO) this.skip = WINDOW * BYPASS_WINDOWS;
    this.seen = 0;
    this.missed = 0;
  }
}
