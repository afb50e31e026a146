"use server";
import { z } from "zod";
import { resolveExpires, formatDuration } from "../../lib/state/durations";
import type { RuleState } from "../../lib/state/rule-state";
import { authorize, fail, toActionError, type ActionResult } from "../_server/action-result";
import { getServices } from "../_server/services";
import { resolveStateForm, RuleId, StateFormFields, zodFieldErrors } from "../_server/state-input";

/** What the state form sends: the expiry as a preset duration, "never", or an ISO-8601 instant. */
const StateFormInput = z.object({ ruleId: RuleId, ...StateFormFields });
export type StateFormInput = z.input<typeof StateFormInput>;

export interface StateActionData {
  ruleId: string;
  state: RuleState;
}

const FIELD_OF: Record<string, string> = { confidence_max: "confidenceMax", expires_at: "expires", reason: "reason", state: "state" };

function renameFields(result: ActionResult<never>): ActionResult<never> {
  if (result.ok || !result.fieldErrors) return result;
  const fieldErrors: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.fieldErrors)) fieldErrors[FIELD_OF[k] ?? k] = v;
  return { ...result, fieldErrors };
}

/** Disable or clip a rule, optionally until an expiry; `set_by` is the signed-in user. */
export async function setRuleStateAction(input: StateFormInput): Promise<ActionResult<StateActionData>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = StateFormInput.safeParse(input);
  if (!parsed.success) return fail("VALIDATION", "Please fix the highlighted fields.", zodFieldErrors(parsed.error));
  const { store, env } = await getServices();
  const v = parsed.data;
  const resolved = resolveStateForm(v, { requireReason: env.TTP_REQUIRE_REASON, maxExpiryMs: env.TTP_MAX_EXPIRY }, Date.now());
  if (!resolved.ok) return fail("VALIDATION", "Please fix the highlighted fields.", resolved.fieldErrors);
  try {
    const state = await store.setState(v.ruleId, resolved.input, who.user.username);
    return { ok: true, data: { ruleId: v.ruleId, state } };
  } catch (err) {
    return renameFields(await toActionError(err, `Setting the state of ${v.ruleId}`));
  }
}

/** Back to the default state (Enable, or "end now" in the expiring view). */
export async function clearRuleStateAction(ruleId: string, reason?: string): Promise<ActionResult<StateActionData>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const id = RuleId.safeParse(ruleId);
  if (!id.success) return fail("VALIDATION", "Unknown rule id.");
  const { store } = await getServices();
  try {
    const state = await store.clearState(id.data, who.user.username, reason?.trim() || undefined);
    return { ok: true, data: { ruleId: id.data, state } };
  } catch (err) {
    return toActionError(err, `Enabling ${id.data}`);
  }
}

/** Pushes the expiry of a state further: by a duration from its current end (or from now, if later) or to an instant. */
export async function extendRuleStateAction(ruleId: string, by: string): Promise<ActionResult<StateActionData>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const id = RuleId.safeParse(ruleId);
  if (!id.success) return fail("VALIDATION", "Unknown rule id.");
  const { store, env } = await getServices();
  try {
    const current = await store.getState(id.data);
    if (current.expires_at === null) return fail("CONFLICT", `${id.data} has no expiry to extend (it is ${current.state}).`);
    const now = Date.now();
    const base = Math.max(now, Date.parse(current.expires_at));
    const r = resolveExpires(by, base);
    if (!r.ok) return fail("VALIDATION", `The new expiry ${r.message}.`, { expires: `The new expiry ${r.message}.` });
    if (Date.parse(r.expiresAt) <= now) return fail("VALIDATION", "The new expiry must be in the future.", { expires: "The new expiry must be in the future." });
    if (env.TTP_MAX_EXPIRY !== undefined && Date.parse(r.expiresAt) - now > env.TTP_MAX_EXPIRY + 60_000) {
      const msg = `The expiry can be at most ${formatDuration(env.TTP_MAX_EXPIRY)} from now.`;
      return fail("VALIDATION", msg, { expires: msg });
    }
    const state = await store.setState(
      id.data,
      { state: current.state, confidence_max: current.confidence_max, expires_at: r.expiresAt, reason: current.reason },
      who.user.username,
    );
    return { ok: true, data: { ruleId: id.data, state } };
  } catch (err) {
    return renameFields(await toActionError(err, `Extending the state of ${id.data}`));
  }
}
