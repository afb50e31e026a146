import { preload } from "react-dom";
import { RuleList } from "../../_components/rule-list";
import { ROWS_URL } from "../../_lib/rule-row";
import { filtersFromParams } from "../../_lib/rule-row";
import { formatIssue } from "../../../lib/errors";
import { liveCursor } from "../../_server/live";
import { getServices } from "../../_server/services";
import { hasRole, requireUser } from "../../_server/session";

export const metadata = { title: "Rules · TTP Rule Console" };

/** The shell of the list; the rows follow from /api/rules/rows (10,000 rows would make a 4 MB document). */
export default async function RulesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requireUser();
  const { store, env } = await getServices();
  const fromSeq = await liveCursor(store);
  // The browser asks for the rows while it loads the scripts (the rules query then takes this answer).
  preload(ROWS_URL, { as: "fetch", crossOrigin: "anonymous" });
  return (
    <RuleList
      isAdmin={hasRole(user, "admin")}
      fromSeq={fromSeq}
      initialFilters={filtersFromParams(await searchParams)}
      problems={store.problems().map(formatIssue)}
      requireReason={env.TTP_REQUIRE_REASON}
      maxExpiryMs={env.TTP_MAX_EXPIRY ?? null}
    />
  );
}
