"use client";
import Link from "next/link";
import { LiveBadge, useLive } from "../../../_components/data/live";
import { useRulePage } from "../../../_components/data/rule-page-query";
import { LocalTime } from "../../../_components/local-time";

/** Keeps the tab's live stream open (from the cursor the page was read at) and shows its status. */
export function RuleLiveBadge({ fromSeq }: { fromSeq: number | null }) {
  const status = useLive(fromSeq);
  return <LiveBadge status={status} />;
}

/** The rule's id, name and description; says so once the rule has been deleted. */
export function RuleTitle({ ruleId }: { ruleId: string }) {
  const { data } = useRulePage(ruleId);
  if (data === null) {
    return (
      <>
        <h1>{ruleId}</h1>
        <p role="alert" className="form-error">
          {ruleId} has been deleted. Its history below keeps every revision.
        </p>
      </>
    );
  }
  if (!data) return <h1>{ruleId}</h1>;
  return (
    <>
      <h1>
        {data.ruleId} · {data.name}
      </h1>
      <p>{data.description}</p>
    </>
  );
}

/** The Definition card: version, origin, who saved it, how much it fires, what it matches and emits. */
export function RuleDefinition({ ruleId }: { ruleId: string }) {
  const { data: rule } = useRulePage(ruleId);
  return (
    <section className="card" aria-labelledby="def-heading">
      <h2 id="def-heading">Definition</h2>
      {rule && (
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
          {rule.firing.known && (
            <>
              <span>Fires (workers)</span>
              <span>
                {rule.firing.workers === 0 ? (
                  "no worker has reported it firing"
                ) : (
                  <>
                    {rule.firing.recentFires.toLocaleString("en-US")} in the last report interval · {rule.firing.fires.toLocaleString("en-US")} since the workers started
                    {rule.firing.lastFiredAt && (
                      <>
                        {" "}
                        · last <LocalTime iso={rule.firing.lastFiredAt} />
                      </>
                    )}{" "}
                    · {rule.firing.workers} worker{rule.firing.workers === 1 ? "" : "s"}
                  </>
                )}{" "}
                (<Link href="/workers">workers</Link>)
              </span>
            </>
          )}
          <span>Source kinds</span>
          <span>{rule.appliesTo.join(", ")}</span>
          <span>Match</span>
          <span>{rule.match.type === "pattern" ? <code>{rule.match.pattern}</code> : <code>{rule.match.kind}</code>}</span>
          <span>Emits</span>
          <span>
            {rule.emits.map((e, i) => (
              <div key={i}>
                <a href={e.tacticUrl ?? undefined} target="_blank" rel="noreferrer">
                  {e.tactic} {e.tacticName ?? ""}
                </a>{" "}
                ·{" "}
                <a href={e.techniqueUrl ?? undefined} target="_blank" rel="noreferrer">
                  {e.technique} {e.techniqueName ?? ""}
                </a>{" "}
                · confidence {e.confidence}
              </div>
            ))}
          </span>
        </div>
      )}
      {rule === null && <p className="muted">Deleted.</p>}
    </section>
  );
}
