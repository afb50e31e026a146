import Link from "next/link";
import { z } from "zod";
import type { ChangeLogEntry } from "../../../lib/store/types";
import { ChangeSummary } from "../../_components/change-summary";
import { LiveRefresh } from "../../_components/live-refresh";
import { LocalTime } from "../../_components/local-time";
import { liveCursor } from "../../_server/live";
import { getServices } from "../../_server/services";
import { requireUser } from "../../_server/session";

export const metadata = { title: "Activity · TTP Rule Console" };

const PAGE = 50;

const Query = z.object({
  rule: z.string().max(128).regex(/^[A-Za-z0-9_]*$/).catch(""),
  actor: z.string().max(128).catch(""),
  kind: z.enum(["", "state", "definition", "deleted"]).catch(""),
  before: z.coerce.number().int().positive().optional().catch(undefined),
});

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function snapshot(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "object" && "yaml" in (v as Record<string, unknown>)) {
    const { yaml: _yaml, ...rest } = v as Record<string, unknown>;
    return JSON.stringify(rest, null, 2);
  }
  return JSON.stringify(v, null, 2);
}

export default async function ActivityPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requireUser();
  const sp = await searchParams;
  const q = Query.parse({ rule: first(sp.rule) ?? "", actor: first(sp.actor) ?? "", kind: first(sp.kind) ?? "", before: first(sp.before) });
  const { store } = await getServices();
  const fromSeq = await liveCursor(store);
  const entries: ChangeLogEntry[] = await store.history({
    limit: PAGE,
    ...(q.rule ? { ruleId: q.rule } : {}),
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.before !== undefined ? { before: q.before } : {}),
  });
  const params = (extra: Record<string, string | number | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ rule: q.rule, actor: q.actor, kind: q.kind, ...extra })) if (v !== undefined && v !== "") p.set(k, String(v));
    const s = p.toString();
    return s ? `/activity?${s}` : "/activity";
  };
  const oldest = entries.at(-1)?.seq;
  return (
    <div>
      <h1>Activity {q.before === undefined && <LiveRefresh fromSeq={fromSeq} />}</h1>
      <form className="toolbar" method="get" action="/activity">
        <label className="filter">
          <span>Rule</span>
          <input name="rule" defaultValue={q.rule} placeholder="R1001" />
        </label>
        <label className="filter">
          <span>Actor</span>
          <input name="actor" defaultValue={q.actor} placeholder="admin, system:expiry" />
        </label>
        <label className="filter">
          <span>Kind</span>
          <select name="kind" defaultValue={q.kind}>
            <option value="">Any</option>
            <option value="state">State</option>
            <option value="definition">Definition</option>
            <option value="deleted">Deleted</option>
          </select>
        </label>
        <button type="submit">Filter</button>
        <Link href="/activity">Clear</Link>
      </form>
      <table className="plain" aria-label="Activity">
        <thead>
          <tr>
            <th>Seq</th>
            <th>When</th>
            <th>Rule</th>
            <th>Kind</th>
            <th>Actor</th>
            <th>Change</th>
            <th>Reason</th>
            <th>Before / after</th>
          </tr>
        </thead>
        <tbody>
          {entries.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No changes match.
              </td>
            </tr>
          )}
          {entries.map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>
                <LocalTime iso={e.at} />
              </td>
              <td>
                <Link href={`/rules/${e.ruleId}`}>{e.ruleId}</Link>
              </td>
              <td>{e.kind}</td>
              <td>
                <Link href={params({ actor: e.actor, before: undefined })}>{e.actor}</Link>
              </td>
              <td>
                <ChangeSummary entry={e} />
              </td>
              <td>{e.reason ?? ""}</td>
              <td>
                <details>
                  <summary>show</summary>
                  <div style={{ display: "grid", gridTemplateColumns: "1fr 1fr", gap: 8 }}>
                    <pre className="mono">{snapshot(e.before)}</pre>
                    <pre className="mono">{snapshot(e.after)}</pre>
                  </div>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav className="pager" aria-label="Pages">
        {q.before !== undefined && <Link href={params({ before: undefined })}>← Newest</Link>}
        {entries.length === PAGE && oldest !== undefined && <Link href={params({ before: oldest })}>Older →</Link>}
      </nav>
    </div>
  );
}
