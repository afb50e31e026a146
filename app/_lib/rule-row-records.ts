import { findTactic, findTechnique } from "../../lib/attack/catalog";
import type { RuleRecord } from "../../lib/store/types";
import type { AttackNames, RuleRow } from "./rule-row";

// Server code only (it carries the ATT&CK catalog): pages and routes import it through rule-row-server.ts.

export function toRuleRow(r: RuleRecord): RuleRow {
  return {
    ruleId: r.ruleId,
    name: r.name,
    ruleVersion: r.ruleVersion,
    emits: r.rule.emits.map((e) => ({ tactic: e.tactic, technique: e.technique_id, sub: e.sub_technique_id, confidence: e.confidence })),
    kinds: [...r.rule.appliesTo].sort(),
    state: r.state,
    revision: r.revision,
    origin: r.origin,
    updatedAt: r.updatedAt,
    updatedBy: r.updatedBy,
  };
}

/** Names and attack.mitre.org links of every tactic and technique the rows mention. */
export function attackNamesFor(rows: Iterable<RuleRow>, into: AttackNames = {}): AttackNames {
  for (const row of rows) {
    for (const e of row.emits) {
      for (const id of [e.tactic, e.technique, e.sub]) {
        if (!id || into[id]) continue;
        const hit = id.startsWith("TA") ? findTactic(id) : findTechnique(id);
        if (hit) into[id] = { name: hit.name, url: hit.url };
      }
    }
  }
  return into;
}
