import { RuleList } from "../../_components/rule-list";
import { filtersFromParams } from "../../_lib/rule-row";
import { attackNamesFor, toRuleRow } from "../../_lib/rule-row-server";
import { formatIssue } from "../../../lib/errors";
import { liveCursor } from "../../_server/live";
import { getServices } from "../../_server/services";
import { hasRole, requireUser } from "../../_server/session";

export const metadata = { title: "Rules · TTP Rule Console" };

export default async function RulesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser();
  const { store, env } = await getServices();
  // The cursor is read before the list so the live stream replays anything in between.
  const fromSeq = await liveCursor(store);
  const records = await store.listRules();
  const rows = records.map(toRuleRow);
  return (
    <RuleList
      rows={rows}
      names={attackNamesFor(rows)}
      isAdmin={hasRole(user, "admin")}
      fromSeq={fromSeq}
      initialFilters={filtersFromParams(await searchParams)}
      problems={store.problems().map(formatIssue)}
      requireReason={env.TTP_REQUIRE_REASON}
      maxExpiryMs={env.TTP_MAX_EXPIRY ?? null}
    />
  );
}
