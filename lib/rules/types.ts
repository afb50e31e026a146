import type { RuleState } from "../state/semantics";

/** Source kinds DECNET sensors emit; an unknown kind in `applies_to` is a warning, not an error. */
export const KNOWN_SOURCE_KINDS = [
  "command",
  "http_request",
  "auth_attempt",
  "payload",
  "session",
  "email",
  "intel",
  "canary_fingerprint",
  "identity",
  "credential",
  "http_fingerprint",
  "ipv6_leak",
] as const;

/** Field a pattern reads when `match.field` is absent (SPEC §4.1). */
export const DEFAULT_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  command: "command_text",
  http_request: "raw_url",
  email: "subject",
  intel: "verdict",
  canary_fingerprint: "ua_signature",
  auth_attempt: "username",
  payload: "payload_text",
});

/** A compiled, linear-time pattern (SPEC §4.2). */
export interface PatternMatcher {
  /** The author's pattern, Python `re` syntax, verbatim. */
  readonly source: string;
  /** The equivalent RE2 syntax actually run (what RE2.Set is built from). */
  readonly re2Source: string;
  /** Unanchored search. */
  test(input: string): boolean;
}

export type MatchSpec =
  | { readonly type: "pattern"; readonly pattern: string; readonly field: string | null }
  | { readonly type: "analyzer"; readonly kind: string; readonly params: Readonly<Record<string, unknown>> };

export interface Emit {
  readonly technique_id: string;
  readonly sub_technique_id: string | null;
  readonly tactic: string;
  readonly confidence: number;
}

/** One `tests:` example (SPEC §1.2) with where it sits in the YAML. */
export interface RuleTestCase {
  readonly event: { readonly source_kind?: string; readonly payload: Readonly<Record<string, unknown>> };
  readonly expect: readonly string[];
  readonly line: number;
  readonly column: number;
  readonly index: number;
}

/** Immutable compiled rule (SPEC §1.4). "Changing" a rule builds a new record. */
export interface CompiledRule {
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly name: string;
  readonly description: string;
  readonly appliesTo: ReadonlySet<string>;
  readonly match: MatchSpec;
  readonly emits: readonly Emit[];
  readonly evidenceFields: readonly string[];
  /** Null for analyzer rules (the generic engine does not evaluate them). */
  readonly matcher: PatternMatcher | null;
  readonly tests: readonly RuleTestCase[];
  /** Stored operational state (not yet resolved against the clock; see effectiveState). */
  readonly state: RuleState;
  /** The original YAML text, comments and formatting kept. */
  readonly yamlText: string;
}
