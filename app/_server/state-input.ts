import { z } from "zod";
import { formatDuration, resolveExpires } from "../../lib/state/durations";

// Pure (no server-only import) so vitest can run it; only server actions use it.

export const RULE_ID_RE = /^[A-Za-z0-9_]{1,128}$/;
export const RuleId = z.string().regex(RULE_ID_RE, { message: "Unknown rule id." });

/** The state form's fields: the expiry as a preset duration, "never", or an ISO-8601 instant. */
export const StateFormFields = {
  state: z.enum(["disabled", "clipped"], { message: "Choose Disable or Clip." }),
  confidenceMax: z.union([z.number(), z.string()]).optional(),
  expires: z.string().trim().min(1, { message: "Choose when this ends." }).max(64),
  reason: z.string().max(1000, { message: "Keep the reason under 1000 characters." }).optional(),
};

const StateFormValues = z.object(StateFormFields);
export type StateFormValues = z.output<typeof StateFormValues>;

/** The operator guardrails of the dashboard settings (TTP_REQUIRE_REASON, TTP_MAX_EXPIRY). */
export interface StateGuardrails {
  requireReason: boolean;
  maxExpiryMs: number | undefined;
}

/** What goes to `store.setState` (set_by and set_at come from the caller and the store). */
export interface ResolvedStateInput {
  state: "disabled" | "clipped";
  confidence_max: number | null;
  expires_at: string | null;
  reason: string | null;
}

export type FieldErrors = Record<string, string>;

/** First message per top-level field of a failed zod parse. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const fieldErrors: FieldErrors = {};
  for (const i of error.issues) fieldErrors[String(i.path[0] ?? "_form")] ??= i.message;
  return fieldErrors;
}

/**
 * Applies the form's rules and the guardrails once: a clip ceiling in [0, 0.99], an expiry in the
 * future (required and capped when TTP_MAX_EXPIRY is set), a reason when TTP_REQUIRE_REASON is set.
 */
export function resolveStateForm(
  v: StateFormValues,
  guard: StateGuardrails,
  now: number,
): { ok: true; input: ResolvedStateInput } | { ok: false; fieldErrors: FieldErrors } {
  const fieldErrors: FieldErrors = {};
  let confidenceMax: number | null = null;
  if (v.state === "clipped") {
    const n = typeof v.confidenceMax === "number" ? v.confidenceMax : Number(String(v.confidenceMax ?? "").trim() || Number.NaN);
    if (!Number.isFinite(n) || n < 0 || n > 0.99) fieldErrors.confidenceMax = "Enter a ceiling between 0 and 0.99.";
    else confidenceMax = n;
  }
  let expiresAt: string | null = null;
  if (v.expires === "never") {
    if (guard.maxExpiryMs !== undefined) fieldErrors.expires = `An expiry is required (at most ${formatDuration(guard.maxExpiryMs)} from now).`;
  } else {
    const r = resolveExpires(v.expires, now);
    if (!r.ok) fieldErrors.expires = `The expiry ${r.message}.`;
    else if (Date.parse(r.expiresAt) <= now) fieldErrors.expires = "The expiry must be in the future.";
    else if (guard.maxExpiryMs !== undefined && Date.parse(r.expiresAt) - now > guard.maxExpiryMs + 60_000) {
      fieldErrors.expires = `The expiry can be at most ${formatDuration(guard.maxExpiryMs)} from now.`;
    } else expiresAt = r.expiresAt;
  }
  const reason = v.reason?.trim() ? v.reason.trim() : null;
  if (guard.requireReason && !reason) fieldErrors.reason = "A reason is required.";
  if (Object.keys(fieldErrors).length > 0) return { ok: false, fieldErrors };
  return { ok: true, input: { state: v.state, confidence_max: confidenceMax, expires_at: expiresAt, reason } };
}
