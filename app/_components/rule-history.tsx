"use client";
import { useRouter } from "next/navigation";
import { Fragment, useCallback, useEffect, useRef, useState } from "react";
import type { TextDiff } from "../../lib/rules/rule-diff";
import { compareRevisionAction, listRuleHistoryAction, restoreRevisionAction, type HistoryItem, type RevisionDiff } from "../_actions/rule-history";
import type { LiveMessage } from "../_lib/live-message";
import { ChangeSummary } from "./change-summary";
import { LocalTime } from "./local-time";
import styles from "./rule-history.module.css";
import { useLiveChanges } from "./use-live-changes";

const PAGE = 20;
const MAX_RELOAD = 200;

type DiffState = { status: "loading" } | { status: "error"; message: string } | { status: "ready"; data: RevisionDiff };
type Notice = { kind: "ok" | "error"; text: string } | null;

/**
 * Every definition and state change of a rule, newest first, paged with "Older"; for definition
 * entries a diff with the current text and (admins) Restore as a new revision. Reloads live.
 */
export function RuleHistory(props: { ruleId: string; currentRevision: number; isAdmin: boolean }) {
  const { ruleId, currentRevision, isAdmin } = props;
  const router = useRouter();
  const [entries, setEntries] = useState<HistoryItem[]>([]);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [diffs, setDiffs] = useState<Record<number, DiffState>>({});
  const [confirming, setConfirming] = useState<number | null>(null);
  const [restoring, setRestoring] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const request = useRef(0);
  const shown = useRef(PAGE);
  const openDiffs = useRef<number[]>([]);
  openDiffs.current = Object.keys(diffs).map(Number);

  const fetchDiff = useCallback(
    async (seq: number) => {
      setDiffs((d) => ({ ...d, [seq]: { status: "loading" } }));
      const r = await compareRevisionAction({ ruleId, seq });
      setDiffs((d) => (seq in d ? { ...d, [seq]: r.ok ? { status: "ready", data: r.data } : { status: "error", message: r.message } } : d));
    },
    [ruleId],
  );

  /** Newest entries again, as many as are shown (a live change or a restore). */
  const reload = useCallback(async () => {
    const id = ++request.current;
    setLoading(true);
    const r = await listRuleHistoryAction({ ruleId, limit: Math.min(Math.max(shown.current, PAGE), MAX_RELOAD) });
    if (id !== request.current) return;
    setLoading(false);
    if (!r.ok) {
      setLoadError(r.message);
      return;
    }
    setLoadError(null);
    setEntries(r.data.entries);
    setNextBefore(r.data.nextBefore);
    shown.current = r.data.entries.length;
  }, [ruleId]);

  const older = useCallback(async () => {
    if (nextBefore === null) return;
    const id = ++request.current;
    setLoading(true);
    const r = await listRuleHistoryAction({ ruleId, before: nextBefore, limit: PAGE });
    if (id !== request.current) return;
    setLoading(false);
    if (!r.ok) {
      setLoadError(r.message);
      return;
    }
    setLoadError(null);
    setEntries((prev) => {
      const seen = new Set(prev.map((e) => e.seq));
      const next = [...prev, ...r.data.entries.filter((e) => !seen.has(e.seq))];
      shown.current = next.length;
      return next;
    });
    setNextBefore(r.data.nextBefore);
  }, [ruleId, nextBefore]);

  useEffect(() => {
    shown.current = PAGE;
    setDiffs({});
    setConfirming(null);
    void reload();
  }, [reload]);

  // The current text changed (restore, editor save, live refresh of the page): open diffs are stale.
  useEffect(() => {
    for (const seq of openDiffs.current) void fetchDiff(seq);
  }, [currentRevision, fetchDiff]);

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const scheduleReload = useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void reload();
    }, 250);
  }, [reload]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  const onLive = useCallback(
    (m: LiveMessage) => {
      if (m.kind !== "resync" && m.ruleId !== ruleId) return;
      scheduleReload();
    },
    [ruleId, scheduleReload],
  );
  useLiveChanges(null, onLive, scheduleReload);

  function toggleDiff(seq: number) {
    if (diffs[seq]) {
      setDiffs((d) => {
        const { [seq]: _closed, ...rest } = d;
        return rest;
      });
      return;
    }
    void fetchDiff(seq);
  }

  async function restore(entry: HistoryItem) {
    setRestoring(true);
    setNotice(null);
    const r = await restoreRevisionAction({ ruleId, seq: entry.seq, expectedRevision: currentRevision });
    setRestoring(false);
    setConfirming(null);
    if (!r.ok) {
      setNotice({ kind: "error", text: r.message });
      // Show what the other change did, so the operator can decide again.
      if (r.code === "CONFLICT") {
        router.refresh();
        void reload();
      }
      return;
    }
    setNotice({ kind: "ok", text: `Restored revision ${r.data.restoredRevision} as revision ${r.data.revision}.` });
    router.refresh();
    void reload();
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
          {!loading && entries.length === 0 && !loadError && (
            <tr>
              <td colSpan={columns} className="muted">
                No changes recorded.
              </td>
            </tr>
          )}
          {entries.map((e) => {
            const diff = diffs[e.seq];
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
                        <button type="button" aria-expanded={diff !== undefined} aria-controls={regionId} aria-label={`Compare revision ${e.revision} with current`} onClick={() => toggleDiff(e.seq)}>
                          {diff ? "Hide diff" : "Compare with current"}
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
                        <button type="button" className="primary" disabled={restoring} onClick={() => void restore(e)}>
                          {restoring ? "Restoring…" : `Restore revision ${e.revision} as new revision`}
                        </button>
                        <button type="button" disabled={restoring} onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </div>
                    </td>
                  </tr>
                )}
                {diff && (
                  <tr>
                    <td colSpan={columns}>
                      <div id={regionId} role="region" aria-label={`Diff revision ${e.revision} → current`} aria-busy={diff.status === "loading"}>
                        {diff.status === "loading" && <p className="muted">Loading diff…</p>}
                        {diff.status === "error" && (
                          <p role="alert" className="form-error">
                            {diff.message}
                          </p>
                        )}
                        {diff.status === "ready" && <DiffView data={diff.data} />}
                      </div>
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      <div className="pager">
        {nextBefore !== null && (
          <button type="button" disabled={loading} onClick={() => void older()}>
            Older
          </button>
        )}
        {loading && <span className="muted">Loading…</span>}
      </div>
    </section>
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
