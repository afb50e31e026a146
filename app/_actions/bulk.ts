"use server";
import { z } from "zod";
import { statePolicyOf } from "../../lib/config/env";
import { isTtpError, NotFoundError } from "../../lib/errors";
import type { Logger } from "../../lib/logger";
import { Reason, resolveStateRequest, type StateRequest } from "../../lib/state/policy";
import { clearRuleStates, setRuleStates, type BulkStateOutcome } from "../../lib/store/bulk-state";
import { bulkSummary, MAX_BULK_RULES, type BulkStateData } from "../_lib/bulk-summary";
import { authorize, fail, type ActionResult } from "../_server/action-result";
import { getServices } from "../_server/services";
import { fieldErrorsOf, RULE_ID_RE, zodFieldErrors } from "../_server/state-input";

const RuleIds = z
  .array(z.string().max(128), { message: "Select the rules to change." })
  .min(1, { message: "Select at least one rule." })
  .max(MAX_BULK_RULES, { message: `At most ${MAX_BULK_RULES.toLocaleString("en")} rules at a time; narrow the selection.` });

/** The selected rules and one state request for all of them, in the request's own field names. */
export type BulkStateInput = { ruleIds: string[] } & StateRequest;
const BulkStateTarget = z.looseObject({ ruleIds: RuleIds });

const BulkClearInput = z.object({ ruleIds: RuleIds, reason: Reason.optional() });
export type BulkClearInput = z.input<typeof BulkClearInput>;

/** Ids in first-seen order, and those that cannot name a rule (never sent to the store). */
function splitIds(ids: string[]): { valid: string[]; invalid: string[] } {
  const seen = new Set<string>();
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    (RULE_ID_RE.test(id) ? valid : invalid).push(id);
  }
  return { valid, invalid };
}

async function toData(verb: string, outcomes: BulkStateOutcome[], invalid: string[], what: string): Promise<BulkStateData> {
  const { logger } = await getServices();
  const data: BulkStateData = { succeeded: [], unchanged: [], failed: [], summary: "" };
  for (const o of outcomes) {
    if (o.status === "done") data.succeeded.push({ ruleId: o.ruleId, state: o.state });
    else if (o.status === "unchanged") data.unchanged.push({ ruleId: o.ruleId, state: o.state });
    else if (o.status === "skipped") data.failed.push({ ruleId: o.ruleId, message: `${o.ruleId} not attempted (stopped after a server error)` });
    else data.failed.push({ ruleId: o.ruleId, message: failureMessage(o.ruleId, o.error, logger, what) });
  }
  for (const id of invalid) data.failed.push({ ruleId: id, message: `${id.slice(0, 40)} not found` });
  data.summary = bulkSummary(verb, data.succeeded.length, data.unchanged.length, data.failed);
  return data;
}

function failureMessage(ruleId: string, err: unknown, logger: Logger, what: string): string {
  if (err instanceof NotFoundError) return `${ruleId} not found`;
  if (isTtpError(err)) return `${ruleId}: ${err.message.split("\n")[0]}`;
  logger.error(`${what} failed`, { rule_id: ruleId, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return `${ruleId}: failed on the server; see the server log`;
}

/**
 * Disables or clips every given rule with one expiry and reason, validated once like
 * setRuleStateAction; one store.setState (one change) per rule; the result names each failure.
 */
export async function bulkSetRuleStateAction(input: BulkStateInput): Promise<ActionResult<BulkStateData>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = BulkStateTarget.safeParse(input);
  if (!parsed.success) {
    const fieldErrors = zodFieldErrors(parsed.error);
    return fail("VALIDATION", fieldErrors.ruleIds ?? "Please fix the highlighted fields.", fieldErrors);
  }
  const { ruleIds, ...request } = parsed.data;
  const { store, env } = await getServices();
  const resolved = resolveStateRequest(request, statePolicyOf(env), Date.now());
  if (!resolved.ok) return fail("VALIDATION", "Please fix the highlighted fields.", fieldErrorsOf(resolved.issues));
  const { valid, invalid } = splitIds(ruleIds);
  const outcomes = await setRuleStates(store, valid, resolved.state, who.user.username);
  return { ok: true, data: await toData(resolved.state.state, outcomes, invalid, "Bulk state change") };
}

/** Enables every given rule (back to the default state); rules already enabled are left unwritten. */
export async function bulkClearRuleStateAction(input: BulkClearInput): Promise<ActionResult<BulkStateData>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = BulkClearInput.safeParse(input);
  if (!parsed.success) {
    const fieldErrors = zodFieldErrors(parsed.error);
    return fail("VALIDATION", fieldErrors.ruleIds ?? fieldErrors.reason ?? "Please fix the highlighted fields.", fieldErrors);
  }
  const { store } = await getServices();
  const { valid, invalid } = splitIds(parsed.data.ruleIds);
  const outcomes = await clearRuleStates(store, valid, who.user.username, parsed.data.reason);
  return { ok: true, data: await toData("enabled", outcomes, invalid, "Bulk enable") };
}
