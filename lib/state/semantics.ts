// Zod-free and browser-safe: what a state means. Requests and the operator policy are in ./policy.

export const RULE_STATES = ["enabled", "disabled", "clipped"] as const;
export type RuleStateName = (typeof RULE_STATES)[number];

/** Operational state of a rule (SPEC §2). Instants are ISO-8601 UTC strings. */
export interface RuleState {
  state: RuleStateName;
  confidence_max: number | null;
  expires_at: string | null;
  reason: string | null;
  set_by: string | null;
  set_at: string | null;
}

export const DEFAULT_STATE: Readonly<RuleState> = Object.freeze({
  state: "enabled",
  confidence_max: null,
  expires_at: null,
  reason: null,
  set_by: null,
  set_at: null,
});

export function defaultState(): RuleState {
  return { ...DEFAULT_STATE };
}

/** Longest reason any writer may record (set and clear alike). */
export const MAX_REASON_LENGTH = 1000;

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Parses an ISO-8601 instant that carries a zone (Z or ±hh:mm); returns epoch ms or null. */
export function parseInstant(s: string): number | null {
  if (!ISO_WITH_ZONE.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}

/** True when the state has an expiry at or before `nowMs` (an expired state equals the default). */
export function isExpired(state: RuleState, nowMs: number): boolean {
  if (state.expires_at === null) return false;
  const t = Date.parse(state.expires_at);
  return Number.isFinite(t) && t <= nowMs;
}

/** The state that is in force at `nowMs`: an expired state is exactly the default state. */
export function effectiveState(state: RuleState | null | undefined, nowMs: number): RuleState {
  if (!state || isExpired(state, nowMs)) return defaultState();
  return state;
}

/** Whether a rule with this (stored) state fires at `nowMs`. */
export function isActive(state: RuleState | null | undefined, nowMs: number): boolean {
  return effectiveState(state, nowMs).state !== "disabled";
}

/** Confidence after the clip: lowered to `confidence_max` when clipped, never raised. */
export function clipConfidence(confidence: number, state: RuleState | null | undefined, nowMs: number): number {
  const eff = effectiveState(state, nowMs);
  if (eff.state !== "clipped" || eff.confidence_max === null) return confidence;
  return Math.min(confidence, eff.confidence_max);
}

export function statesEqual(a: RuleState, b: RuleState): boolean {
  return (
    a.state === b.state &&
    a.confidence_max === b.confidence_max &&
    a.expires_at === b.expires_at &&
    a.reason === b.reason &&
    a.set_by === b.set_by &&
    a.set_at === b.set_at
  );
}
