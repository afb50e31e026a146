import type { RuleState } from "../../lib/state/semantics";

/** Most rules one bulk action takes (the rule list holds up to ~10,000). */
export const MAX_BULK_RULES = 10_000;

export interface BulkRuleFailure {
  ruleId: string;
  /** Names the rule, e.g. "R1009 not found". */
  message: string;
}

/** What a bulk state action did, rule by rule. */
export interface BulkStateData {
  succeeded: { ruleId: string; state: RuleState }[];
  /** Already in the requested state; nothing written (Enable only). */
  unchanged: { ruleId: string; state: RuleState }[];
  failed: BulkRuleFailure[];
  /** e.g. "3 disabled, 1 failed: R1009 not found" */
  summary: string;
}

const LISTED_FAILURES = 3;

/** "3 disabled", then the unchanged count, then the failures with the first few named. */
export function bulkSummary(verb: string, succeeded: number, unchanged: number, failed: readonly BulkRuleFailure[]): string {
  const parts = [`${succeeded} ${verb}`];
  if (unchanged > 0) parts.push(`${unchanged} already ${verb}`);
  let text = parts.join(", ");
  if (failed.length > 0) {
    const named = failed.slice(0, LISTED_FAILURES).map((f) => f.message);
    const more = failed.length > LISTED_FAILURES ? `; and ${failed.length - LISTED_FAILURES} more` : "";
    text += `, ${failed.length} failed: ${named.join("; ")}${more}`;
  }
  return text;
}
