import { z } from "zod";
import { ValidationError } from "../errors";
import { formatDuration, resolveExpires } from "./durations";
import { MAX_REASON_LENGTH, RULE_STATES, type RuleState, type RuleStateName } from "./semantics";

/** The operator policy every writer applies, each from its own configuration (TTP_REQUIRE_REASON, TTP_MAX_EXPIRY). */
export interface StatePolicy {
  /** A reason is required to disable or clip. */
  requireReason: boolean;
  /** Longest expiry from now of a disable or clip; "no expiry" is then refused. null: no limit. */
  maxExpiryMs: number | null;
}

/** The state semantics alone: what the stores check whoever writes. */
export const NO_POLICY: Readonly<StatePolicy> = Object.freeze({ requireReason: false, maxExpiryMs: null });

/** An instant picked to the minute (the dashboard's date-time input) may pass TTP_MAX_EXPIRY by this much. */
export const MAX_EXPIRY_SLACK_MS = 60_000;

export const Reason = z
  .string({ message: "reason must be a string" })
  .max(MAX_REASON_LENGTH, { message: `reason must be at most ${MAX_REASON_LENGTH} characters` });

/**
 * A state request as DECNET's API, the CLI and the dashboard send it. `set_by` and `set_at` are
 * never part of it (they come from the authenticated caller and the store's clock). `expires_at` is
 * an ISO-8601 instant with a zone or a duration from now (90s, 30m, 2h, 7d).
 */
export const StateRequest = z
  .object({
    state: z.enum(RULE_STATES, { message: 'state must be one of "enabled", "disabled", "clipped"' }),
    confidence_max: z
      .number({ message: "confidence_max must be a number" })
      .min(0, { message: "confidence_max must be ≥ 0" })
      .lt(1, { message: "confidence_max must be < 1 (a clip of 1 would not lower anything)" })
      .nullable()
      .optional(),
    expires_at: z.string({ message: "expires_at must be a string: an ISO-8601 instant or a duration like 2h" }).nullable().optional(),
    reason: Reason.nullable().optional(),
  })
  .strict();
export type StateRequest = z.input<typeof StateRequest>;

/** A request that passed the semantics and the policy: what `RuleStore.setState` stores (stamped with set_by and set_at). */
export interface ResolvedStateRequest {
  state: RuleStateName;
  confidence_max: number | null;
  expires_at: string | null;
  reason: string | null;
}

/** One problem with a request: the field path in the request's names ([] for the body) and what to fix. */
export interface StateIssue {
  path: (string | number)[];
  message: string;
}

export type StateResolution = { ok: true; state: ResolvedStateRequest } | { ok: false; issues: StateIssue[] };

/**
 * The one place a state request becomes a state: the schema, the semantics (clipped needs
 * confidence_max, expires_at in the future, enabled drops the ceiling, a blank reason is none) and
 * the policy (a reason, an expiry of at most maxExpiryMs — both only for disable and clip).
 * Pure; every problem is returned with the path of its field.
 */
export function resolveStateRequest(request: unknown, policy: StatePolicy, nowMs: number): StateResolution {
  const parsed = StateRequest.safeParse(request);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.map((seg) => (typeof seg === "symbol" ? String(seg) : seg)), message: i.message })) };
  }
  const v = parsed.data;
  const restricting = v.state !== "enabled";
  const issues: StateIssue[] = [];
  const confidenceMax = v.state === "clipped" ? (v.confidence_max ?? null) : null;
  if (v.state === "clipped" && confidenceMax === null) issues.push({ path: ["confidence_max"], message: "clipped requires confidence_max in [0, 1)" });

  const max = restricting ? policy.maxExpiryMs : null;
  let expiresAt: string | null = null;
  if (v.expires_at !== null && v.expires_at !== undefined) {
    const r = resolveExpires(v.expires_at, nowMs);
    const t = r.ok ? Date.parse(r.expiresAt) : Number.NaN;
    if (!r.ok) issues.push({ path: ["expires_at"], message: `expires_at ${r.message}` });
    else if (t <= nowMs) issues.push({ path: ["expires_at"], message: "expires_at must be in the future" });
    else if (max !== null && t - nowMs > max + MAX_EXPIRY_SLACK_MS) {
      issues.push({ path: ["expires_at"], message: `expires_at must be at most ${formatDuration(max)} from now (TTP_MAX_EXPIRY)` });
    } else expiresAt = r.expiresAt;
  } else if (max !== null) {
    issues.push({ path: ["expires_at"], message: `expires_at is required, at most ${formatDuration(max)} from now (TTP_MAX_EXPIRY)` });
  }

  const reason = v.reason?.trim() ? v.reason.trim() : null;
  if (restricting && policy.requireReason && reason === null) {
    issues.push({ path: ["reason"], message: "reason is required to disable or clip a rule (TTP_REQUIRE_REASON)" });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, state: { state: v.state, confidence_max: confidenceMax, expires_at: expiresAt, reason } };
}

/** The issues of one rule's request as the ValidationError every boundary maps (line:column 1:1: a request has no lines). */
export function stateValidationError(ruleId: string, issues: StateIssue[]): ValidationError {
  return new ValidationError(issues.map((i) => ({ source: ruleId, path: i.path, line: 1, column: 1, message: i.message, severity: "error" as const })));
}

/**
 * The stores' own check of what they are asked to store — the semantics, no policy (each writer
 * applied its own first) — stamped with `set_by` and `set_at`. Throws ValidationError naming the rule.
 */
export function buildState(ruleId: string, input: unknown, actor: string, nowMs: number): RuleState {
  const r = resolveStateRequest(input, NO_POLICY, nowMs);
  if (!r.ok) throw stateValidationError(ruleId, r.issues);
  if (actor.trim() === "") throw stateValidationError(ruleId, [{ path: ["set_by"], message: "actor must not be empty" }]);
  return { ...r.state, set_by: actor, set_at: new Date(nowMs).toISOString() };
}

/** The reason a clear records (null when blank); throws ValidationError naming the rule when it is over MAX_REASON_LENGTH. */
export function clearReason(ruleId: string, reason: string | null | undefined): string | null {
  const r = Reason.nullable().optional().safeParse(reason);
  if (!r.success) throw stateValidationError(ruleId, r.error.issues.map((i) => ({ path: ["reason"], message: i.message })));
  return r.data?.trim() ? r.data.trim() : null;
}
