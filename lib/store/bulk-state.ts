import { isTtpError } from "../errors";
import type { RuleState } from "../state/semantics";
import type { RuleStore } from "./types";

/** What happened to one rule of a bulk state change. */
export type BulkStateOutcome =
  | { ruleId: string; status: "done"; state: RuleState }
  /** clear only: the rule was already in the default state, so nothing was written. */
  | { ruleId: string; status: "unchanged"; state: RuleState }
  | { ruleId: string; status: "failed"; error: unknown }
  /** Not attempted: an earlier rule failed in a way that will fail the rest too (store busy or broken). */
  | { ruleId: string; status: "skipped" };

/** Errors that say the store itself is in trouble, not this one rule: stop instead of failing 10,000 times. */
function stopsTheBatch(err: unknown): boolean {
  return !isTtpError(err) || err.code === "BUSY" || err.code === "INTERNAL";
}

async function eachRule(
  ruleIds: readonly string[],
  write: (ruleId: string) => Promise<BulkStateOutcome>,
): Promise<BulkStateOutcome[]> {
  const out: BulkStateOutcome[] = [];
  let stopped = false;
  for (const ruleId of ruleIds) {
    if (stopped) {
      out.push({ ruleId, status: "skipped" });
      continue;
    }
    try {
      out.push(await write(ruleId));
    } catch (err) {
      out.push({ ruleId, status: "failed", error: err });
      stopped = stopsTheBatch(err);
    }
  }
  return out;
}

/**
 * Sets the same state on each rule, one `setState` (so one change-feed entry) per rule, in order.
 * Never throws: a rule that fails is reported; after a store-level failure the rest are skipped.
 */
export function setRuleStates(store: RuleStore, ruleIds: readonly string[], input: unknown, actor: string): Promise<BulkStateOutcome[]> {
  return eachRule(ruleIds, async (ruleId) => ({ ruleId, status: "done", state: await store.setState(ruleId, input, actor) }));
}

function isDefault(s: RuleState): boolean {
  return s.state === "enabled" && s.confidence_max === null && s.expires_at === null && s.reason === null && s.set_by === null && s.set_at === null;
}

/**
 * Reverts each rule to the default state, one `clearState` per rule; a rule already in the default
 * state is reported as unchanged without a write (no audit noise). Never throws, as setRuleStates.
 */
export function clearRuleStates(store: RuleStore, ruleIds: readonly string[], actor: string, reason?: string): Promise<BulkStateOutcome[]> {
  return eachRule(ruleIds, async (ruleId) => {
    const current = await store.getState(ruleId);
    if (isDefault(current)) {
      // getState answers the default for unknown ids too; getRule tells them apart (NotFoundError).
      await store.getRule(ruleId);
      return { ruleId, status: "unchanged", state: current };
    }
    return { ruleId, status: "done", state: await store.clearState(ruleId, actor, reason) };
  });
}
