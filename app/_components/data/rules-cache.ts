import type { LiveMessage } from "../../_lib/live-message";
import type { AttackNames, RuleRow } from "../../_lib/rule-row";

/** The cache entry under `queryKeys.rules()`. */
export interface RulesData {
  rows: RuleRow[];
  names: AttackNames;
}

/** The rows with the live messages applied (the same object when none touches them). */
export function applyLiveToRules(data: RulesData, batch: readonly LiveMessage[]): RulesData {
  const touching = batch.filter((m) => m.kind === "state" || m.kind === "definition" || m.kind === "deleted");
  if (touching.length === 0) return data;
  const byId = new Map(data.rows.map((r) => [r.ruleId, r]));
  let names = data.names;
  for (const m of touching) {
    if (m.kind === "state") {
      const row = byId.get(m.ruleId);
      if (row) byId.set(m.ruleId, { ...row, state: m.state });
    } else if (m.kind === "definition") {
      byId.set(m.ruleId, m.row);
      names = { ...names, ...m.names };
    } else if (m.kind === "deleted") byId.delete(m.ruleId);
  }
  return { rows: [...byId.values()], names };
}
