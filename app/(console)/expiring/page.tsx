import { ExpiringView, type ExpiringRow, type RevertedRow } from "../../_components/expiring-view";
import { liveCursor } from "../../_server/live";
import { getServices } from "../../_server/services";
import { hasRole, requireUser } from "../../_server/session";

export const metadata = { title: "Expiring · TTP Rule Console" };

const DAY_MS = 86_400_000;

export default async function ExpiringPage() {
  const user = await requireUser();
  const { store } = await getServices();
  const fromSeq = await liveCursor(store);
  const now = Date.now();
  const rules = await store.listRules();
  const names = new Map(rules.map((r) => [r.ruleId, r.name]));
  const rows: ExpiringRow[] = rules
    .filter((r) => r.state.expires_at !== null)
    .map((r) => ({ ruleId: r.ruleId, name: r.name, state: r.state }))
    .sort((a, b) => Date.parse(a.state.expires_at ?? "") - Date.parse(b.state.expires_at ?? ""));
  const reverts = await store.history({ autoRevert: true, limit: 500 });
  const reverted: RevertedRow[] = reverts
    .filter((e) => Date.parse(e.at) >= now - DAY_MS)
    .map((e) => ({ seq: e.seq, ruleId: e.ruleId, name: names.get(e.ruleId) ?? "", at: e.at, before: (e.before ?? null) as ExpiringRow["state"] | null }));
  return <ExpiringView rows={rows} reverted={reverted} isAdmin={hasRole(user, "admin")} fromSeq={fromSeq} />;
}
