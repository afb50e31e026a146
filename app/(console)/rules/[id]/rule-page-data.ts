import "server-only";
import { findTactic, findTechnique } from "../../../../lib/attack/catalog";
import { errorMessage } from "../../../../lib/errors";
import { noisyRules } from "../../../../lib/worker/drift";
import type { RulePageData, RulePageFiring } from "../../../_components/data/rule-page";
import { getServices } from "../../../_server/services";

/** The rule page's data (throws NotFound for an unknown rule); the workers' fire counts only when they can be read. */
export async function loadRulePage(ruleId: string): Promise<RulePageData> {
  const { store, logger, workerDb } = await getServices();
  const firingRead: Promise<RulePageFiring> = workerDb
    ? workerDb.ruleStatsFor(ruleId).then(
        (rows) => {
          const n = noisyRules(rows, 1)[0];
          return n ? { known: true, fires: n.fires, recentFires: n.recentFires, lastFiredAt: n.lastFiredAt, workers: n.workers } : { known: true, fires: 0, recentFires: 0, lastFiredAt: null, workers: 0 };
        },
        (err: unknown) => {
          // A failure only hides the line.
          logger.warn("rule page: reading the workers' fire counts failed", { error: errorMessage(err) });
          return { known: false };
        },
      )
    : Promise.resolve({ known: false });
  const [rule, firing] = await Promise.all([store.getRule(ruleId), firingRead]);
  const m = rule.rule.match;
  return {
    ruleId: rule.ruleId,
    name: rule.name,
    description: rule.rule.description,
    yamlText: rule.yamlText,
    revision: rule.revision,
    ruleVersion: rule.ruleVersion,
    origin: rule.origin,
    sourcePath: rule.sourcePath ?? null,
    updatedAt: rule.updatedAt,
    updatedBy: rule.updatedBy ?? null,
    state: rule.state,
    appliesTo: [...rule.rule.appliesTo],
    match: m.type === "pattern" ? { type: "pattern", pattern: m.pattern } : { type: "analyzer", kind: m.kind },
    emits: rule.rule.emits.map((e) => {
      const technique = e.sub_technique_id ?? e.technique_id;
      const tactic = findTactic(e.tactic);
      const tech = findTechnique(technique);
      return {
        tactic: e.tactic,
        tacticName: tactic?.name ?? null,
        tacticUrl: tactic?.url ?? null,
        technique,
        techniqueName: tech?.name ?? null,
        techniqueUrl: tech?.url ?? null,
        confidence: e.confidence,
      };
    }),
    firing,
  };
}
