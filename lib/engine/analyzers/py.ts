// Upstream's analyzers make Python isinstance-style checks on JSON payloads (analyzers.md §0).
// These helpers are the one place their semantics are decided for this project:
// - an *int* is a JSON number with an integral value. Booleans are NOT ints here (upstream counts
//   true as 1 because Python's bool is an int; we treat that as a producer bug: ill-typed → SKIP).
//   JSON.parse cannot tell 5 from 5.0, so an integral float passes (upstream refuses 5.0).
// - a *num* is any JSON number (JSON carries no NaN/Infinity).
// - `a ‖ b` is Python's `or`: the first truthy value, else the last operand.
import RE2 from "re2";
import { compilePattern } from "../../rules/pattern";
import { MatchCache, type Hits } from "../match-cache";
import type { AnalyzerContext } from "./types";

/** Not undefined and not null: the field is there. */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

export function isNum(v: unknown): v is number {
  return typeof v === "number" && !Number.isNaN(v);
}

export function isBool(v: unknown): v is boolean {
  return typeof v === "boolean";
}

/** A present value of the wrong type (what a predicate answers SKIP for). */
export function illTyped(v: unknown, ok: (v: unknown) => boolean): boolean {
  return present(v) && !ok(v);
}

export function isStr(v: unknown): v is string {
  return typeof v === "string";
}

export function isNonEmptyStr(v: unknown): v is string {
  return typeof v === "string" && v.length > 0;
}

/** Python truthiness of a JSON value. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") {
    for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) return true;
    return false;
  }
  return true;
}

/**
 * Python's `a or b` (`a or b or c`, …): the first truthy operand, else the last one. Fixed arities
 * rather than a rest parameter: a predicate calls these per event, and a rest array is an
 * allocation each time.
 */
export function pyOr(a: unknown, b: unknown): unknown {
  return truthy(a) ? a : b;
}

export function pyOr3(a: unknown, b: unknown, c: unknown): unknown {
  return truthy(a) ? a : truthy(b) ? b : c;
}

export function pyOr4(a: unknown, b: unknown, c: unknown, d: unknown): unknown {
  return truthy(a) ? a : truthy(b) ? b : truthy(c) ? c : d;
}

/** Own property of the payload (never an inherited one such as `constructor`). */
export function own(payload: Readonly<Record<string, unknown>>, key: string): unknown {
  const v = payload[key];
  return v === undefined || Object.prototype.hasOwnProperty.call(payload, key) ? v : undefined;
}

/** Texts lowered during one event, as [text, lower, text, lower, …] (an event has few: subject, body). */
const LOWERED = {};
const LOWERED_KEPT = 4;

/** text.toLowerCase(), once per event and text: several rules search the same subject or body. */
export function lowerOnce(ctx: AnalyzerContext, text: string): string {
  const seen = ctx.perEvent(LOWERED, () => [] as string[]);
  // Identity first: the rules of one event read the very same string objects from its payload.
  for (let i = 0; i < seen.length; i += 2) if (seen[i] === text) return seen[i + 1] as string;
  const lower = text.toLowerCase();
  if (seen.length < 2 * LOWERED_KEPT) seen.push(text, lower);
  return lower;
}

/** The string elements of a list (non-strings skipped, as upstream does); null when `v` is not a list. */
export function stringsOf(v: unknown): string[] | null {
  if (!Array.isArray(v)) return null;
  const out: string[] = [];
  for (const x of v) if (typeof x === "string") out.push(x);
  return out;
}

/**
 * A list of rule-author patterns (Python `re` syntax, validated by parseRule), compiled for
 * linear-time search. `firstMatch` gives the index of the first pattern, in list order, found in
 * the text, or -1.
 */
const NO_MATCH: Hits = Object.freeze([]);
const FIRSTS: Hits[] = [];
function firstHit(i: number): Hits {
  return (FIRSTS[i] ??= Object.freeze([i]));
}

/** Entries per generation of a pattern list's memo (see match-cache.ts): paths and file names repeat. */
const LIST_CACHE_ENTRIES = 1024;

export class PatternList {
  readonly sources: readonly string[];
  readonly size: number;
  private readonly single: RE2 | null;
  private readonly set: InstanceType<typeof RE2.Set> | null;
  private readonly cache: MatchCache;

  constructor(patterns: readonly string[]) {
    const sources: string[] = [];
    const re2: string[] = [];
    for (const p of patterns) {
      const c = compilePattern(p);
      // parseRule refuses a pattern that does not compile; a stored definition of an older
      // translator may still carry one: skip it, as upstream skips patterns that fail to compile.
      if (!c.ok) continue;
      sources.push(p);
      re2.push(c.matcher.re2Source);
    }
    this.sources = sources;
    this.size = sources.length;
    // One pass over the text for the whole list (RE2.Set), as the engine's field groups do, behind
    // the same bounded, self-bypassing memo of value → answer.
    this.single = re2.length === 1 ? new RE2(re2[0] as string) : null;
    this.set = re2.length > 1 ? new RE2.Set(re2) : null;
    this.cache = new MatchCache(LIST_CACHE_ENTRIES, (text) => this.run(text));
  }

  firstMatch(text: string): number {
    if (this.size === 0) return -1;
    const hits = this.cache.hits(text);
    return hits.length === 0 ? -1 : (hits[0] as number);
  }

  private run(text: string): Hits {
    if (this.single !== null) return this.single.test(text) ? firstHit(0) : NO_MATCH;
    if (this.set === null || !this.set.test(text)) return NO_MATCH;
    let first = -1;
    for (const i of this.set.match(text)) if (first < 0 || i < first) first = i;
    return first < 0 ? NO_MATCH : firstHit(first);
  }
}
