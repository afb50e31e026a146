import Link from "next/link";
import { notFound } from "next/navigation";
import { errorMessage, isTtpError } from "../../../../lib/errors";
import type { RulePageData } from "../../../_components/data/rule-page";
import { RulePageSeed } from "../../../_components/data/rule-page-query";
import { listRuleHistoryAction } from "../../../_actions/rule-history";
import { RuleHistory } from "../../../_components/rule-history";
import { RuleStatePanel } from "../../../_components/rule-state-panel";
import { RuleWorkbench } from "../../../_components/rule-workbench";
import { RuleFireRate } from "../../../_components/fire-rate-chart";
import { editorSchema } from "../../../_server/editor-schema";
import { preloadMonaco } from "../../../_server/monaco-assets";
import { liveCursor } from "../../../_server/live";
import { getServices } from "../../../_server/services";
import { hasRole, requireUser } from "../../../_server/session";
import { RuleDefinition, RuleLiveBadge, RuleTitle } from "./rule-definition";
import { loadRulePage } from "./rule-page-data";

export default async function RulePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const { store, env, logger } = await getServices();
  const fromSeq = await liveCursor(store);
  const renderedAt = Date.now();
  let rule: RulePageData;
  // The history's first page seeds its query; a failure there leaves the history to load it again.
  const historyRead = listRuleHistoryAction({ ruleId: id });
  try {
    rule = await loadRulePage(id);
  } catch (err) {
    if (isTtpError(err) && err.code === "NOT_FOUND") notFound();
    throw err;
  }
  const firstHistory = await historyRead;
  const isAdmin = hasRole(user, "admin");
  preloadMonaco((err) => logger.warn("cannot list Monaco's files to preload", { error: errorMessage(err) }));
  return (
    <RulePageSeed data={rule} renderedAt={renderedAt}>
    <div className="rule-page">
      <p>
        <Link href="/rules">← Rules</Link> <RuleLiveBadge fromSeq={fromSeq} />
      </p>
      <RuleTitle ruleId={rule.ruleId} />
      <div style={{ display: "grid", gridTemplateColumns: "minmax(320px, 1fr) minmax(320px, 1fr)", gap: 16, alignItems: "start" }}>
        <RuleDefinition ruleId={rule.ruleId} />
        <RuleStatePanel
          ruleId={rule.ruleId}
          ruleName={rule.name}
          username={user.username}
          isAdmin={isAdmin}
          requireReason={env.TTP_REQUIRE_REASON}
          maxExpiryMs={env.TTP_MAX_EXPIRY ?? null}
        />
        <div style={{ gridColumn: 2 }}>
          <RuleFireRate ruleId={rule.ruleId} />
        </div>
      </div>
      <RuleWorkbench
        key={rule.ruleId}
        ruleId={rule.ruleId}
        ruleName={rule.name}
        serverYaml={rule.yamlText}
        serverRevision={rule.revision}
        serverUpdatedBy={rule.updatedBy}
        isAdmin={isAdmin}
        requireReason={env.TTP_REQUIRE_REASON}
        schema={editorSchema()}
      />
      <div style={{ marginTop: 16 }}>
        <RuleHistory ruleId={rule.ruleId} isAdmin={isAdmin} firstPage={firstHistory.ok ? firstHistory.data : null} />
      </div>
    </div>
    </RulePageSeed>
  );
}
