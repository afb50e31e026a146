"use server";
import { z } from "zod";
import { statePolicyOf } from "../../lib/config/env";
import { resolveExpires } from "../../lib/state/durations";
import { resolveStateRequest, type StateRequest } from "../../lib/state/policy";
import type { RuleState } from "../../lib/state/semantics";
import { authorize, fail, toActionError, type ActionResult } from "../_server/action-result";
import { getServices } from "../_server/services";
import { fieldErrorsOf, RuleId, zodFieldErrors } from "../_server/state-input";

/** What the state form sends: the rule and a state request in the request's own field names. */
export type StateFormInput = { ruleId: string } & StateRequest;
const StateFormTarget = z.looseObject({ ruleId: RuleId });

export interface StateActionData {
  ruleId: string;
  state: RuleState;
}

/** Disable or clip a rule, optionally until an expiry; `set_by` is the signed-in user. */
export async function setRuleStateAction(input: StateFormInput): Promise<ActionResult<StateActionData>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = StateFormTarget.safeParse(input);
  if (!parsed.success) return fail("VALIDATION", "Please fix the highlighted fields.", zodFieldErrors(parsed.error));
  const { ruleId, ...request } = parsed.data;
  const { store, env } = await getServices();
  const resolved = resolveStateRequest(request, statePolicyOf(env), Date.now());
  if (!resolved.ok) return fail("VALIDATION", "Please fix the highlighted fields.", fieldErrorsOf(resolved.issues));
  try {
    const state = await store.setState(ruleId, resolved.state, who.user.username);
    return { ok: true, data: { ruleId, state } };
  } catch (err) {
    return toActionError(err, `Setting the state of ${ruleId}`);
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
    const state = await store.clearState(id.data, who.user.username, reason);
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
    const to = resolveExpires(by, Math.max(now, Date.parse(current.expires_at)));
    if (!to.ok) return fail("VALIDATION", `The new expiry ${to.message}.`, { expires_at: `The new expiry ${to.message}.` });
    const request = { state: current.state, confidence_max: current.confidence_max, expires_at: to.expiresAt, reason: current.reason };
    const resolved = resolveStateRequest(request, statePolicyOf(env), now);
    if (!resolved.ok) return fail("VALIDATION", resolved.issues.map((i) => i.message).join("; "), fieldErrorsOf(resolved.issues));
    const state = await store.setState(id.data, resolved.state, who.user.username);
    return { ok: true, data: { ruleId: id.data, state } };
  } catch (err) {
    return toActionError(err, `Extending the state of ${id.data}`);
  }
}
