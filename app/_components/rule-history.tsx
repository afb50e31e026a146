"use client";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useMemo, useState } from "react";
import type { TextDiff } from "../../lib/rules/rule-diff";
import { compareRevisionAction, listRuleHistoryAction, restoreRevisionAction, type HistoryItem, type HistoryPage, type RevisionDiff } from "../_actions/rule-history";
import { ChangeSummary } from "./change-summary";
import { queryKeys } from "./data/query-keys";
import { ActionRefusal, unwrap } from "./data/rule-mutations";
import { useRulePage } from "./data/rule-page-query";
import { LocalTime } from "./local-time";
import styles from "./rule-history.module.css";

const PAGE = 20;

type Notice = { kind: "ok" | "error"; text: string } | null;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Every definition and state change of a rule, newest first, paged with "Older"; for definition
 * entries a diff with the current text and (admins) Restore as a new revision. The live stream
 * refetches it (every loaded page) when the rule changes.
 */
export function RuleHistory(props: { ruleId: string; isAdmin: boolean; firstPage: HistoryPage | null }) {
  const { ruleId, isAdmin } = props;
  const client = useQueryClient();
  const currentRevision = useRulePage(ruleId).data?.revision ?? null;
  const history = useInfiniteQuery({
    queryKey: queryKeys.history(ruleId),
    queryFn: async ({ pageParam }) => unwrap(await listRuleHistoryAction({ ruleId, limit: PAGE, ...(pageParam !== null ? { before: pageParam } : {}) })),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextBefore,
    initialData: props.firstPage ? { pages: [props.firstPage], pageParams: [null] } : undefined,
  });
  const entries = useMemo(() => {
    // A page read after newer changes arrived can repeat entries of the page before it.
    const seen = new Set<number>();
    return (history.data?.pages ?? []).flatMap((p) => p.entries).filter((e) => !seen.has(e.seq) && seen.add(e.seq));
  }, [history.data]);
  const [openDiffs, setOpenDiffs] = useState<ReadonlySet<number>>(new Set());
  const [confirming, setConfirming] = useState<number | null>(null);
  const [notice, setNotice] = useState<Notice>(null);
  const restore = useMutation({
    mutationFn: async (entry: HistoryItem) => unwrap(await restoreRevisionAction({ ruleId, seq: entry.seq, expectedRevision: currentRevision ?? 0 })),
    onMutate: () => setNotice(null),
    onSuccess: (r) => setNotice({ kind: "ok", text: `Restored revision ${r.restoredRevision} as revision ${r.revision}.` }),
    onError: (err) => setNotice({ kind: "error", text: messageOf(err) }),
    onSettled: (_data, err) => {
      setConfirming(null);
      // After a restore, or a conflict (to show what the other change did so the operator can decide again).
      if (!err || (err instanceof ActionRefusal && err.result.code === "CONFLICT")) {
        void client.invalidateQueries({ queryKey: queryKeys.rule(ruleId) });
        void client.invalidateQueries({ queryKey: queryKeys.history(ruleId) });
      }
    },
  });
  const restoring = restore.isPending;
  const loading = history.isFetching;
  const loadError = history.error ? messageOf(history.error) : null;

  function toggleDiff(seq: number) {
    setOpenDiffs((open) => {
      const next = new Set(open);
      if (!next.delete(seq)) next.add(seq);
      return next;
    });
  }

  const columns = 6;
  return (
    <section className={`card ${styles.history}`} aria-labelledby="rule-history-heading">
      <h2 id="rule-history-heading">History</h2>
      <p role="status" className={notice?.kind === "ok" ? styles.ok : "sr-only"}>
        {notice?.kind === "ok" ? notice.text : ""}
      </p>
      {notice?.kind === "error" && (
        <p role="alert" className={`form-error ${styles.preLine}`}>
          {notice.text}
        </p>
      )}
      {loadError && (
        <p role="alert" className="form-error">
          {loadError}
        </p>
      )}
      <table className="plain" aria-label="History" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Kind</th>
            <th scope="col">Change</th>
            <th scope="col">Reason</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {!history.isPending && entries.length === 0 && !loadError && (
            <tr>
              <td colSpan={columns} className="muted">
                No changes recorded.
              </td>
            </tr>
          )}
          {entries.map((e) => {
            const diffOpen = openDiffs.has(e.seq);
            const regionId = `rule-diff-${e.seq}`;
            return (
              <Fragment key={e.seq}>
                <tr>
                  <td>
                    <LocalTime iso={e.at} />
                  </td>
                  <td>{e.actor}</td>
                  <td>{e.kind}</td>
                  <td>
                    <ChangeSummary entry={e} />
                  </td>
                  <td>{e.reason ?? ""}</td>
                  <td className={styles.actions}>
                    {e.hasText && e.isCurrent && <span className="muted">current</span>}
                    {e.hasText && !e.isCurrent && (
                      <>
                        <button type="button" aria-expanded={diffOpen} aria-controls={regionId} aria-label={`Compare revision ${e.revision} with current`} onClick={() => toggleDiff(e.seq)}>
                          {diffOpen ? "Hide diff" : "Compare with current"}
                        </button>
                        {isAdmin && (
                          <button type="button" aria-label={`Restore revision ${e.revision}`} disabled={restoring} onClick={() => setConfirming(confirming === e.seq ? null : e.seq)}>
                            Restore
                          </button>
                        )}
                      </>
                    )}
                  </td>
                </tr>
                {confirming === e.seq && (
                  <tr>
                    <td colSpan={columns}>
                      <div role="group" aria-label={`Restore revision ${e.revision}`} className={styles.confirm}>
                        <span>
                          Store the text of revision {e.revision} as a new revision of {ruleId} (now revision {currentRevision})? The change is audited under your name.
                        </span>
                        <button type="button" className="primary" disabled={restoring} onClick={() => restore.mutate(e)}>
                          {restoring ? "Restoring…" : `Restore revision ${e.revision} as new revision`}
                        </button>
                        <button type="button" disabled={restoring} onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </div>
                    </td>
                  </tr>
                )}
                {diffOpen && (
                  <tr>
                    <td colSpan={columns}>
                      <DiffRegion id={regionId} ruleId={ruleId} seq={e.seq} revision={e.revision} currentRevision={currentRevision} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      <div className="pager">
        {history.hasNextPage && (
          <button type="button" disabled={loading} onClick={() => void history.fetchNextPage()}>
            Older
          </button>
        )}
        {loading && <span className="muted">Loading…</span>}
      </div>
    </section>
  );
}

/** An entry's text against the current one; keyed by the current revision, so a new revision reads it again. */
function DiffRegion(props: { id: string; ruleId: string; seq: number; revision: number | null; currentRevision: number | null }) {
  const diff = useQuery({
    queryKey: queryKeys.revisionDiff(props.ruleId, props.seq, props.currentRevision),
    queryFn: async () => unwrap(await compareRevisionAction({ ruleId: props.ruleId, seq: props.seq })),
    placeholderData: (previous) => previous,
    gcTime: 0,
  });
  return (
    <div id={props.id} role="region" aria-label={`Diff revision ${props.revision} → current`} aria-busy={diff.isFetching}>
      {diff.isPending && <p className="muted">Loading diff…</p>}
      {diff.isError && (
        <p role="alert" className="form-error">
          {messageOf(diff.error)}
        </p>
      )}
      {diff.data && !diff.isError && <DiffView data={diff.data} />}
    </div>
  );
}

function DiffView({ data }: { data: RevisionDiff }) {
  const d: TextDiff = data.diff;
  if (d.identical) {
    return <p>Revision {data.revision} has the same text as the current revision {data.currentRevision}.</p>;
  }
  return (
    <div>
      <p className={styles.diffSummary}>
        Revision {data.revision} → current (revision {data.currentRevision}):{" "}
        <span className={styles.addCount}>+{d.added}</span> <span className={styles.delCount}>−{d.removed}</span> line{d.added + d.removed === 1 ? "" : "s"}
        {d.truncated && <span className="muted"> (too different for a line-by-line diff: whole texts shown)</span>}
      </p>
      <table className={styles.diff}>
        <thead className="sr-only">
          <tr>
            <th scope="col">Line in revision {data.revision}</th>
            <th scope="col">Line in current</th>
            <th scope="col">Change</th>
            <th scope="col">Text</th>
          </tr>
        </thead>
        <tbody>
          {d.hunks.map((h, hi) => (
            <Fragment key={hi}>
              {h.skippedBefore > 0 && (
                <tr className={styles.skip}>
                  <td colSpan={4}>
                    ⋯ {h.skippedBefore} unchanged line{h.skippedBefore === 1 ? "" : "s"}
                  </td>
                </tr>
              )}
              {h.rows.map((r, ri) => (
                <tr key={ri} className={r.type === "added" ? `diff-add ${styles.add}` : r.type === "removed" ? `diff-del ${styles.del}` : undefined}>
                  <td className={styles.num}>{r.oldLine ?? ""}</td>
                  <td className={styles.num}>{r.newLine ?? ""}</td>
                  <td className={styles.sign} aria-hidden="true">
                    {r.type === "added" ? "+" : r.type === "removed" ? "-" : " "}
                  </td>
                  <td className={styles.text}>
                    {r.type === "added" ? (
                      <ins>
                        <span className="sr-only">added: </span>
                        {r.text}
                      </ins>
                    ) : r.type === "removed" ? (
                      <del>
                        <span className="sr-only">removed: </span>
                        {r.text}
                      </del>
                    ) : (
                      r.text
                    )}
                  </td>
                </tr>
              ))}
            </Fragment>
          ))}
          {d.skippedAfter > 0 && (
            <tr className={styles.skip}>
              <td colSpan={4}>
                ⋯ {d.skippedAfter} unchanged line{d.skippedAfter === 1 ? "" : "s"}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
