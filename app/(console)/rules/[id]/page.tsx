import Link from "next/link";
import { notFound } from "next/navigation";
import { findTactic, findTechnique } from "../../../../lib/attack/catalog";
import { isTtpError } from "../../../../lib/errors";
import type { RuleRecord } from "../../../../lib/store/types";
import { ChangeSummary } from "../../../_components/change-summary";
import { LocalTime } from "../../../_components/local-time";
import { LiveRefresh } from "../../../_components/live-refresh";
import { RuleStatePanel } from "../../../_components/rule-state-panel";
import { liveCursor } from "../../../_server/live";
import { getServices } from "../../../_server/services";
import { hasRole, requireUser } from "../../../_server/session";

export default async function RulePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const { store, env } = await getServices();
  const fromSeq = await liveCursor(store);
  let rule: RuleRecord;
  try {
    rule = await store.getRule(id);
  } catch (err) {
    if (isTtpError(err) && err.code === "NOT_FOUND") notFound();
    throw err;
  }
  const history = await store.history({ ruleId: id, limit: 50 });
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
          isAdmin={hasRole(user, "admin")}
          requireReason={env.TTP_REQUIRE_REASON}
          maxExpiryMs={env.TTP_MAX_EXPIRY ?? null}
        />
      </div>
      <section style={{ marginTop: 16 }} aria-labelledby="yaml-heading">
        <h2 id="yaml-heading">YAML</h2>
        <pre className="yaml">{rule.yamlText}</pre>
      </section>
      <section style={{ marginTop: 16 }} aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        <table className="plain" aria-label="History">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              <th>Change</th>
              <th>Reason</th>
            </tr>
          </thead>
          <tbody>
            {history.map((e) => (
              <tr key={e.seq}>
                <td>
                  <LocalTime iso={e.at} />
                </td>
                <td>{e.actor}</td>
                <td>{e.kind}</td>
                <td>
                  <ChangeSummary entry={e} />
                </td>
                <td>{e.reason ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {history.length === 50 && (
          <p>
            <Link href={`/activity?rule=${encodeURIComponent(id)}`}>Older changes in the activity log →</Link>
          </p>
        )}
      </section>
    </div>
  );
}
