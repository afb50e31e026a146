"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { isExpired, type RuleState } from "../../lib/state/semantics";
import { clearRuleStateAction, extendRuleStateAction } from "../_actions/rule-state";
import { LocalTime } from "./local-time";
import { StateChip, timeLeft } from "./state-chip";
import { LiveBadge, useLive, useLiveMessages, useLiveRefresh, useNow } from "./data/live";

export interface ExpiringRow {
  ruleId: string;
  name: string;
  state: RuleState;
}
export interface RevertedRow {
  seq: number;
  ruleId: string;
  name: string;
  at: string;
  before: RuleState | null;
}

export function ExpiringView(props: { rows: ExpiringRow[]; reverted: RevertedRow[]; isAdmin: boolean; fromSeq: number | null }) {
  const router = useRouter();
  const now = useNow(1000);
  const [rows, setRows] = useState(props.rows);
  const [error, setError] = useState<string | null>(null);
  const [customFor, setCustomFor] = useState<string | null>(null);
  const [custom, setCustom] = useState("");
  useEffect(() => setRows(props.rows), [props.rows]);

  useLive(props.fromSeq);
  // A state change shows at once; the page (and its list of reverted states) then comes again from the server.
  useLiveMessages((batch) => {
    const states = new Map(batch.flatMap((m) => (m.kind === "state" ? [[m.ruleId, m.state] as const] : [])));
    if (states.size > 0) setRows((prev) => prev.map((r) => (states.has(r.ruleId) ? { ...r, state: states.get(r.ruleId) as RuleState } : r)));
  });
  useLiveRefresh();

  // SPEC §2: at expires_at the state is the default, here too, to the second.
  const active = rows.filter((r) => r.state.expires_at !== null && !isExpired(r.state, now));

  async function run(p: ReturnType<typeof clearRuleStateAction>) {
    const r = await p;
    setError(r.ok ? null : r.message);
    if (r.ok) router.refresh();
  }

  return (
    <div>
      <h1>
        Expiring <LiveBadge />
      </h1>
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
      <table className="plain" aria-label="Expiring states">
        <thead>
          <tr>
            <th>Rule</th>
            <th>State</th>
            <th>Time left</th>
            <th>Expires at</th>
            <th>Reason</th>
            <th>Set by</th>
            {props.isAdmin && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {active.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No state has an expiry.
              </td>
            </tr>
          )}
          {active.map((r) => (
            <tr key={r.ruleId}>
              <td>
                <Link href={`/rules/${r.ruleId}`}>{r.ruleId}</Link> {r.name}
              </td>
              <td>
                <StateChip state={r.state} />
              </td>
              <td>{timeLeft(r.state.expires_at, now)}</td>
              <td>
                <LocalTime iso={r.state.expires_at} />
              </td>
              <td>{r.state.reason ?? ""}</td>
              <td>{r.state.set_by ?? ""}</td>
              {props.isAdmin && (
                <td className="row-actions">
                  <button type="button" aria-label={`Extend ${r.ruleId} by 1 hour`} onClick={() => void run(extendRuleStateAction(r.ruleId, "1h"))}>
                    +1 h
                  </button>
                  <button type="button" aria-label={`Extend ${r.ruleId} by 24 hours`} onClick={() => void run(extendRuleStateAction(r.ruleId, "24h"))}>
                    +24 h
                  </button>
                  {customFor === r.ruleId ? (
                    <form
                      onSubmit={(e) => {
                        e.preventDefault();
                        const t = new Date(custom).getTime();
                        if (Number.isNaN(t)) return setError("Pick a date and time.");
                        setCustomFor(null);
                        void run(extendRuleStateAction(r.ruleId, new Date(t).toISOString()));
                      }}
                    >
                      <label>
                        <span className="sr-only">New expiry for {r.ruleId}</span>
                        <input type="datetime-local" value={custom} onChange={(e) => setCustom(e.target.value)} />
                      </label>
                      <button type="submit">Set</button>
                    </form>
                  ) : (
                    <button
                      type="button"
                      aria-label={`Extend ${r.ruleId} to a date and time`}
                      onClick={() => {
                        setCustomFor(r.ruleId);
                        setCustom("");
                      }}
                    >
                      Until…
                    </button>
                  )}
                  <button type="button" className="danger" aria-label={`End ${r.ruleId} now`} onClick={() => void run(clearRuleStateAction(r.ruleId, "ended early from the expiring view"))}>
                    End now
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <h2 style={{ marginTop: 24 }}>Recently reverted (last 24 hours)</h2>
      <table className="plain" aria-label="Recently reverted">
        <thead>
          <tr>
            <th>Rule</th>
            <th>Reverted at</th>
            <th>Was</th>
            <th>Reason</th>
            <th>Set by</th>
          </tr>
        </thead>
        <tbody>
          {props.reverted.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                Nothing expired in the last 24 hours.
              </td>
            </tr>
          )}
          {props.reverted.map((r) => (
            <tr key={r.seq}>
              <td>
                <Link href={`/rules/${r.ruleId}`}>{r.ruleId}</Link> {r.name}
              </td>
              <td>
                <LocalTime iso={r.at} />
              </td>
              <td>{r.before ? <StateChip state={r.before} /> : "—"}</td>
              <td>{r.before?.reason ?? ""}</td>
              <td>{r.before?.set_by ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
