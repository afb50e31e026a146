import type { AnalyzerFamily } from "../../rules/analyzers/types";

export type Payload = Readonly<Record<string, unknown>>;

/**
 * Returned by a predicate when a field it reads is present (not undefined/null) but of the wrong
 * type: it does not fire, and the worker counts it per kind ("skipped"). A missing field or a
 * false condition returns null (no fire, nothing counted).
 */
export const SKIP: unique symbol = Symbol("analyzer.skip");
export type Skip = typeof SKIP;

/** One intel decision (analyzers.md §1.6): tags only for emits entries whose technique_id equals `technique`. */
export interface Decision {
  readonly technique: string;
  /** Multiplies the emits entry's confidence before the clip. */
  readonly multiplier: number;
  /** The tag's whole evidence for this technique (copied fields + this decision's extras). */
  readonly evidence: Record<string, unknown>;
}

/** A fire: one tag per emits entry, all with this evidence (already final: copy/overlay/allow-list applied). */
export interface Fire {
  readonly evidence: Record<string, unknown>;
}

export interface Decisions {
  readonly decisions: readonly Decision[];
}

export type AnalyzerOutcome = null | Skip | Fire | Decisions;

/** Per-evaluation services the engine gives a predicate. Valid only during the call. */
export interface AnalyzerContext {
  /** The rule's evidence_fields whose key is present in the payload (own properties), a fresh object each call. */
  copied(): Record<string, unknown>;
  /**
   * The e-mail body read from the artifacts store (analyzers.md §3.5.4), or null. Only workers
   * configure a reader (TTP_ARTIFACTS_DIR); the test panel and `tests:` never read files.
   * Read at most once per event. Call it only when payload.body_text is not a string.
   */
  emailBodyFromDisk(): string | null;
  /** A value computed once per event and shared by every rule evaluated on it (e.g. the e-mail base evidence). */
  perEvent<T>(key: object, make: () => T): T;
}

/**
 * A `lifter:` kind's predicate. `prepare` runs once per installed rule with the parameters as the
 * kind's zod schema (lib/rules/analyzers) outputs them (defaults applied, already validated) and
 * compiles what it needs (patterns); `evaluate` runs per event and must never throw on payload
 * content (ill-typed → SKIP). The engine contains a throw anyway (counted, logged, that rule only).
 */
export interface Analyzer<P = never, C = unknown> {
  readonly kind: string;
  readonly family: AnalyzerFamily;
  prepare(params: P): C;
  evaluate(config: C, payload: Payload, ctx: AnalyzerContext): AnalyzerOutcome;
  /** Identity analyzers: the tag's attacker_uuid is null, and an event without identity_uuid yields nothing. */
  readonly anchor?: "identity";
}
