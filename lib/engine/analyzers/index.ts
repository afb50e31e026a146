import { ANALYZER_FAMILIES } from "../../rules/analyzers/types";
import { analyzerSpec, ANALYZER_SPECS, type AnalyzerSpec } from "../../rules/analyzers";
import { behavioralAnalyzers } from "./behavioral";
import { canaryAnalyzers } from "./canary";
import { credentialAnalyzers } from "./credential";
import { emailAnalyzers } from "./email";
import { identityAnalyzers } from "./identity";
import { intelAnalyzers } from "./intel";
import { ipv6Analyzers } from "./ipv6";
import { SKIP, type Analyzer } from "./types";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyAnalyzer = Analyzer<any, unknown>;

const ANALYZERS = new Map<string, AnyAnalyzer>(
  [...behavioralAnalyzers, ...intelAnalyzers, ...canaryAnalyzers, ...emailAnalyzers, ...identityAnalyzers, ...credentialAnalyzers, ...ipv6Analyzers].map(
    (a) => [a.kind, a as AnyAnalyzer] as const,
  ),
);

/**
 * Adds a kind (its parameter schema and its predicate) to the registry: the extension point for a
 * site's own analyzers, and how the tests exercise failure containment. Rules compiled before the
 * call keep their previous resolution until reinstalled. The spec's `reads` must name every field
 * the predicate reads (the engine skips it when none is set), or be empty.
 */
export function registerAnalyzer(spec: AnalyzerSpec, analyzer: AnyAnalyzer): void {
  if (spec.kind !== analyzer.kind) throw new Error(`registerAnalyzer: spec ${spec.kind} and analyzer ${analyzer.kind} differ`);
  (ANALYZER_SPECS as Map<string, AnalyzerSpec>).set(spec.kind, spec);
  ANALYZERS.set(analyzer.kind, analyzer);
}

/** The predicate of a kind, or undefined (the rule is stored but never fires). */
export function analyzerFor(kind: string): AnyAnalyzer | undefined {
  return ANALYZERS.get(kind);
}

/** Every kind with a predicate. */
export function analyzerKinds(): string[] {
  return [...ANALYZERS.keys()];
}

/** Upstream's composite runs its families in this order; the engine evaluates analyzer rules by family, then rule id. */
export function familyRank(kind: string): number {
  const a = ANALYZERS.get(kind);
  return a ? ANALYZER_FAMILIES.indexOf(a.family) : ANALYZER_FAMILIES.length;
}

export interface PreparedAnalyzer {
  readonly analyzer: AnyAnalyzer;
  readonly config: unknown;
  /**
   * The payload fields the kind reads (its spec's `reads`), or null when it declares none. A
   * predicate never fires nor skips when every one of them is absent or null (index.test.ts
   * checks this for every kind), so the engine does not call it for such an event.
   */
  readonly gate: readonly string[] | null;
}

const prepared = new WeakMap<object, PreparedAnalyzer | null>();

/**
 * The analyzer of an analyzer match with its parameters parsed (the kind's zod schema, defaults
 * applied) and compiled, cached per match object (restamping a state keeps the match object, so
 * a state change never recompiles). Null when the kind has no analyzer or its parameters do not
 * parse (only possible for a definition stored by another version: parseRule refuses them).
 */
export function prepareAnalyzer(match: { readonly kind: string; readonly params: Readonly<Record<string, unknown>> }): PreparedAnalyzer | null {
  const hit = prepared.get(match);
  if (hit !== undefined) return hit;
  let result: PreparedAnalyzer | null = null;
  const analyzer = ANALYZERS.get(match.kind);
  const spec = analyzerSpec(match.kind);
  if (analyzer && spec) {
    const parsed = spec.params.safeParse(match.params);
    if (parsed.success) {
      try {
        result = { analyzer, config: analyzer.prepare(parsed.data as never), gate: spec.reads.length > 0 ? spec.reads : null };
      } catch {
        result = null; // a parameter the schema let through but the predicate cannot use: never fires
      }
    }
  }
  prepared.set(match, result);
  return result;
}

/**
 * Why an analyzer rule emitted nothing for a payload (the test panel and `tests:` failures), in
 * one sentence; state is not considered. Never reads files.
 */
export function explainAnalyzer(match: { readonly kind: string; readonly params: Readonly<Record<string, unknown>> }, payload: Readonly<Record<string, unknown>>, emitted: readonly string[]): string {
  const spec = analyzerSpec(match.kind);
  const p = prepareAnalyzer(match);
  if (!spec || !p) return `no analyzer for ${match.kind}: the rule never fires`;
  const reads = spec.reads.length > 0 ? spec.reads : [];
  const present = reads.filter((k) => Object.prototype.hasOwnProperty.call(payload, k) && payload[k] !== undefined && payload[k] !== null);
  const fields = `reads ${reads.join(", ") || "nothing"}; present: ${present.join(", ") || "none"}`;
  let outcome;
  try {
    outcome = p.analyzer.evaluate(p.config, payload, { copied: () => ({}), emailBodyFromDisk: () => null, perEvent: (_k, make) => make() });
  } catch (err) {
    return `${match.kind} failed on this payload: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (outcome === SKIP) return `${match.kind} skipped the event: a field it reads has the wrong type (${fields})`;
  if (outcome === null) return `${match.kind} did not fire: its condition does not hold (${fields})`;
  if ("decisions" in outcome) {
    const techniques = outcome.decisions.map((d) => d.technique);
    if (techniques.length === 0) return `${match.kind} made no decision (${fields})`;
    const missing = techniques.filter((t) => !emitted.includes(t));
    return `${match.kind} decided ${techniques.join(", ")}${missing.length > 0 ? `, but emits has no entry for ${missing.join(", ")}` : ""}`;
  }
  return `${match.kind} fired`;
}
