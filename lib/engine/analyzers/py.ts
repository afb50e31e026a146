// Upstream's analyzers make Python isinstance-style checks on JSON payloads (analyzers.md §0).
// These helpers are the one place their semantics are decided for this project:
// - an *int* is a JSON number with an integral value. Booleans are NOT ints here (upstream counts
//   true as 1 because Python's bool is an int; we treat that as a producer bug: ill-typed → SKIP).
//   JSON.parse cannot tell 5 from 5.0, so an integral float passes (upstream refuses 5.0).
// - a *num* is any JSON number (JSON carries no NaN/Infinity).
// - `a ‖ b` is Python's `or`: the first truthy value, else the last operand.
import RE2 from "re2";
import { compilePattern } from "../../rules/pattern";

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

/** Python's `a or b or …`: the first truthy operand, else the last one. */
export function pyOr(...values: unknown[]): unknown {
  for (let i = 0; i < values.length - 1; i++) if (truthy(values[i])) return values[i];
  return values[values.length - 1];
}

/** Own property of the payload (never an inherited one such as `constructor`). */
export function own(payload: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(payload, key) ? payload[key] : undefined;
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
export class PatternList {
  readonly sources: readonly string[];
  private readonly res: RE2[];

  constructor(patterns: readonly string[]) {
    const sources: string[] = [];
    const res: RE2[] = [];
    for (const p of patterns) {
      const c = compilePattern(p);
      // parseRule refuses a pattern that does not compile; a stored definition of an older
      // translator may still carry one: skip it, as upstream skips patterns that fail to compile.
      if (!c.ok) continue;
      sources.push(p);
      res.push(new RE2(c.matcher.re2Source));
    }
    this.sources = sources;
    this.res = res;
  }

  get size(): number {
    return this.res.length;
  }

  firstMatch(text: string): number {
    for (let i = 0; i < this.res.length; i++) if ((this.res[i] as RE2).test(text)) return i;
    return -1;
  }
}
