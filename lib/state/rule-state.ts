import { z } from "zod";

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

export const MAX_REASON_LENGTH = 1000;

/**
 * What a caller may ask for; `set_by` and `set_at` are never part of it (they come from the
 * authenticated caller and the store's clock).
 */
export const SetRuleStateInput = z
  .object({
    state: z.enum(RULE_STATES, { message: 'state must be one of "enabled", "disabled", "clipped"' }),
    confidence_max: z
      .number({ message: "confidence_max must be a number" })
      .min(0, { message: "confidence_max must be ≥ 0" })
      .lt(1, { message: "confidence_max must be < 1 (a clip of 1 would not lower anything)" })
      .nullable()
      .optional(),
    expires_at: z
      .string()
      .refine((s) => parseInstant(s) !== null, {
        message: "expires_at must be an ISO-8601 instant with a time zone, e.g. 2026-12-01T09:30:00Z",
      })
      .nullable()
      .optional(),
    reason: z.string().max(MAX_REASON_LENGTH, { message: `reason must be at most ${MAX_REASON_LENGTH} characters` }).nullable().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.state === "clipped" && (v.confidence_max === null || v.confidence_max === undefined)) {
      ctx.addIssue({ code: "custom", path: ["confidence_max"], message: "clipped requires confidence_max in [0, 1)" });
    }
  });
export type SetRuleStateInput = z.infer<typeof SetRuleStateInput>;

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

/**
 * Builds the stored state from a validated request: normalises fields the state ignores
 * (enabled drops confidence_max), stamps `set_by`/`set_at`, refuses an expiry not in the future.
 * Returns either the state or a list of field problems.
 */
export function buildState(
  input: unknown,
  actor: string,
  nowMs: number,
): { ok: true; state: RuleState } | { ok: false; issues: { path: string; message: string }[] } {
  const parsed = SetRuleStateInput.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({ path: i.path.join(".") || "(body)", message: i.message })),
    };
  }
  const v = parsed.data;
  if (actor.trim() === "") return { ok: false, issues: [{ path: "set_by", message: "actor must not be empty" }] };
  let expiresAt: string | null = null;
  if (v.expires_at !== null && v.expires_at !== undefined) {
    const t = parseInstant(v.expires_at) as number;
    if (t <= nowMs) {
      return { ok: false, issues: [{ path: "expires_at", message: "expires_at must be in the future" }] };
    }
    expiresAt = new Date(t).toISOString();
  }
  return {
    ok: true,
    state: {
      state: v.state,
      confidence_max: v.state === "clipped" ? (v.confidence_max ?? null) : v.state === "disabled" ? null : null,
      expires_at: expiresAt,
      reason: v.reason === undefined || v.reason === null || v.reason.trim() === "" ? null : v.reason,
      set_by: actor,
      set_at: new Date(nowMs).toISOString(),
    },
  };
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
