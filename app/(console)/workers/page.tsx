import Link from "next/link";
import { errorMessage } from "../../../lib/errors";
import { AutoRefresh } from "../../_components/auto-refresh";
import { LocalTime } from "../../_components/local-time";
import { describeInput, fireWindow, noisyRules, workerViews, type WorkerView } from "../../../lib/worker/drift";
import { FireRateUnavailable, FireSparkline } from "../../_components/fire-rate-chart";
import { liveCursor } from "../../_server/live";
import { getServices } from "../../_server/services";
import { requireUser } from "../../_server/session";

export const metadata = { title: "Workers · TTP Rule Console" };

const VERDICT_TEXT: Record<WorkerView["verdict"], string> = {
  ok: "ok",
  behind: "behind",
  stale: "stale (database unreachable or lagging)",
  error: "error",
  silent: "not reporting",
  stopped: "stopped",
};

const fmt = (n: number) => n.toLocaleString("en-US");

export default async function WorkersPage() {
  await requireUser();
  const { store, workerDb, logger } = await getServices();
  if (!workerDb) {
    return (
      <div>
        <h1>Workers</h1>
        <p className="muted">
          Workers report their applied change and per-rule fire counts to the database (SPEC §5). This console runs on the rules directory
          (TTP_RULE_STORE=filesystem), so there is nothing to show; run the workers and the console on a database to see drift and noisy rules here.
        </p>
        <FireRateUnavailable reason="No fire-rate sparklines either: the per-minute fire counts live in the same database." />
      </div>
    );
  }
  let problem: string | null = null;
  let workers: WorkerView[] = [];
  let noisy: ReturnType<typeof noisyRules> = [];
  let head: number | null = null;
  const window = fireWindow(Date.now(), 24, 30);
  let sparks: Map<string, number[]> | null = null;
  try {
    head = await liveCursor(store);
    const [w, stats] = await Promise.all([workerDb.listWorkers(), workerDb.listRuleStats()]);
    workers = workerViews(w, head, Date.now());
    noisy = noisyRules(stats);
    sparks = await workerDb.fireSeries(
      noisy.map((r) => r.ruleId),
      window,
    );
  } catch (err) {
    logger.warn("workers page: reading the reports failed", { error: errorMessage(err) });
    problem = "The worker reports could not be read; see the server log.";
  }
  const behind = workers.filter((w) => w.verdict !== "ok" && w.verdict !== "stopped").length;
  return (
    <div>
      <AutoRefresh everyMs={5000} />
      <h1>Workers</h1>
      {problem && (
        <p role="alert" className="form-error">
          {problem}
        </p>
      )}
      <p className="muted">
        Change feed head: {head ?? "—"}. {workers.length} process{workers.length === 1 ? "" : "es"} reported
        {behind > 0 ? `; ${behind} need${behind === 1 ? "s" : ""} attention` : ""}. Refreshed every 5 s.
      </p>
      <table className="plain" aria-label="Workers">
        <thead>
          <tr>
            <th>Worker</th>
            <th>Role</th>
            <th>Status</th>
            <th>Applied seq</th>
            <th>Behind</th>
            <th>Rules</th>
            <th>Events</th>
            <th>Tags</th>
            <th>Malformed</th>
            <th>Input</th>
            <th>Last report</th>
            <th>Host (pid)</th>
          </tr>
        </thead>
        <tbody>
          {workers.length === 0 && (
            <tr>
              <td colSpan={12} className="muted">
                No worker has reported yet (ttp worker --report-interval, default 5 s).
              </td>
            </tr>
          )}
          {workers.map((w) => (
            <tr key={w.workerId} aria-label={w.workerId}>
              <td>{w.workerId}</td>
              <td>{w.role}</td>
              <td>
                <span className={`chip ${w.verdict === "ok" ? "chip-enabled" : w.verdict === "stopped" ? "" : "chip-disabled"}`}>{VERDICT_TEXT[w.verdict]}</span>
              </td>
              <td>{w.appliedSeq ?? "—"}</td>
              <td title={w.verdict === "stopped" ? "a stopped process applies nothing; it had this much left when it stopped" : undefined}>
                {w.lag === null ? "—" : w.verdict === "stopped" ? <span className="muted">{w.lag}</span> : w.lag}
              </td>
              <td>{fmt(w.ruleCount)}</td>
              <td>{fmt(w.eventsTotal)}</td>
              <td>{fmt(w.tagsTotal)}</td>
              <td>{fmt(w.malformedTotal)}</td>
              <td>{describeInput(w)}</td>
              <td>
                <LocalTime iso={w.lastSeenAt} />
              </td>
              <td>
                {w.hostname} ({w.pid})
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2 style={{ marginTop: 28 }}>Noisiest rules</h2>
      <p className="muted">Events each rule fired on, summed over the workers since each started; &quot;last interval&quot; is each worker&apos;s last report period. A rule that fires on everything is a candidate for a clip. &quot;Last 24 h&quot; sums every worker&apos;s per-minute counts in 30-minute buckets (kept 7 days).</p>
      <table className="plain" aria-label="Noisiest rules">
        <thead>
          <tr>
            <th>Rule</th>
            <th>Fires, last interval</th>
            <th>Fires</th>
            <th>Last fired</th>
            <th>Workers</th>
            <th>Last 24 h</th>
          </tr>
        </thead>
        <tbody>
          {noisy.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No rule has fired yet.
              </td>
            </tr>
          )}
          {noisy.map((r) => (
            <tr key={r.ruleId} aria-label={r.ruleId}>
              <td>
                <Link href={`/rules/${r.ruleId}`}>{r.ruleId}</Link>
              </td>
              <td>{fmt(r.recentFires)}</td>
              <td>{fmt(r.fires)}</td>
              <td>{r.lastFiredAt ? <LocalTime iso={r.lastFiredAt} /> : "—"}</td>
              <td>{r.workers}</td>
              <td>
                {sparks ? (
                  <FireSparkline ruleId={r.ruleId} series={{ fromMinute: window.fromMinute, bucketMinutes: window.bucketMinutes, buckets: sparks.get(r.ruleId) ?? [] }} />
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
