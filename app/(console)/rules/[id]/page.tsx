import Link from "next/link";
import { notFound } from "next/navigation";
import { findTactic, findTechnique } from "../../../../lib/attack/catalog";
import { errorMessage, isTtpError } from "../../../../lib/errors";
import type { RuleRecord } from "../../../../lib/store/types";
import { LocalTime } from "../../../_components/local-time";
import { noisyRules } from "../../../../lib/worker/drift";
import { LiveRefresh } from "../../../_components/live-refresh";
import { RuleHistory } from "../../../_components/rule-history";
import { RuleStatePanel } from "../../../_components/rule-state-panel";
import { RuleWorkbench } from "../../../_components/rule-workbench";
import { editorSchema } from "../../../_server/editor-schema";
import { preloadMonaco } from "../../../_server/monaco-assets";
import { liveCursor } from "../../../_server/live";
import { getServices } from "../../../_server/services";
import { hasRole, requireUser } from "../../../_server/session";

export default async function RulePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const { store, env, logger, workerDb } = await getServices();
  // How noisy the rule is across workers (their reports, SPEC §5), read alongside the rule; a failure only hides the line.
  const firingRead = workerDb
    ? workerDb.ruleStatsFor(id).then(
        (rows) => noisyRules(rows, 1)[0] ?? null,
        (err: unknown) => {
          logger.warn("rule page: reading the workers' fire counts failed", { error: errorMessage(err) });
          return undefined;
        },
      )
    : Promise.resolve(undefined);
  const fromSeq = await liveCursor(store);
  let rule: RuleRecord;
  try {
    rule = await store.getRule(id);
  } catch (err) {
    if (isTtpError(err) && err.code === "NOT_FOUND") notFound();
    throw err;
  }
  const firing = await firingRead;
  const isAdmin = hasRole(user, "admin");
  preloadMonaco((err) => logger.warn("cannot list Monaco's files to preload", { error: errorMessage(err) }));
  const m = rule.rule.match;
  return (
    <div className="rule-page">
      <p>
        <Link href="/rules">← Rules</Link> <LiveRefresh fromSeq={fromSeq} ruleId={id} />
      </p>
      <h1>
        {rule.ruleId} · {rule.name}
      </h1>
      <p>{rule.rule.description}</p>
      <div style={{ display: "grid", gridTemplateColumns: "minmax(320px, 1fr) minmax(320px, 1fr)", gap: 16, alignItems: "start" }}>
        <section className="card" aria-labelledby="def-heading">
          <h2 id="def-heading">Definition</h2>
          <div className="kv">
            <span>Version / revision</span>
            <span>
              v{rule.ruleVersion} · rev {rule.revision}
            </span>
            <span>Origin</span>
            <span>
              {rule.origin}
              {rule.sourcePath ? ` (${rule.sourcePath})` : ""}
            </span>
            <span>Updated</span>
            <span>
              <LocalTime iso={rule.updatedAt} /> by {rule.updatedBy ?? "—"}
            </span>
            {firing !== undefined && (
              <>
                <span>Fires (workers)</span>
                <span>
                  {firing === null ? (
                    "no worker has reported it firing"
                  ) : (
                    <>
                      {firing.recentFires.toLocaleString("en-US")} in the last report interval · {firing.fires.toLocaleString("en-US")} since the workers started
                      {firing.lastFiredAt && (
                        <>
                          {" "}
                          · last <LocalTime iso={firing.lastFiredAt} />
                        </>
                      )}{" "}
                      · {firing.workers} worker{firing.workers === 1 ? "" : "s"}
                    </>
                  )}{" "}
                  (<Link href="/workers">workers</Link>)
                </span>
              </>
            )}
            <span>Source kinds</span>
            <span>{[...rule.rule.appliesTo].join(", ")}</span>
            <span>Match</span>
            <span>{m.type === "pattern" ? <code>{m.pattern}</code> : <code>{m.kind}</code>}</span>
            <span>Emits</span>
            <span>
              {rule.rule.emits.map((e, i) => {
                const tactic = findTactic(e.tactic);
                const tech = findTechnique(e.sub_technique_id ?? e.technique_id);
                return (
                  <div key={i}>
                    <a href={tactic?.url} target="_blank" rel="noreferrer">
                      {e.tactic} {tactic?.name}
                    </a>{" "}
                    ·{" "}
                    <a href={tech?.url} target="_blank" rel="noreferrer">
                      {e.sub_technique_id ?? e.technique_id} {tech?.name}
                    </a>{" "}
                    · confidence {e.confidence}
                  </div>
                );
              })}
            </span>
          </div>
        </section>
        <RuleStatePanel
          ruleId={rule.ruleId}
          ruleName={rule.name}
          state={rule.state}
          isAdmin={isAdmin}
          requireReason={env.TTP_REQUIRE_REASON}
          maxExpiryMs={env.TTP_MAX_EXPIRY ?? null}
        />
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
        <RuleHistory ruleId={rule.ruleId} currentRevision={rule.revision} isAdmin={isAdmin} />
      </div>
    </div>
  );
}
