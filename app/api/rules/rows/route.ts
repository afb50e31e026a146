import { toCompactRow, type RowsPayload } from "../../../_lib/rule-row";
import { attackNamesFor, toRuleRow } from "../../../_lib/rule-row-server";
import { liveCursor } from "../../../_server/live";
import { apiRoute } from "../../../_server/http";
import { getServices } from "../../../_server/services";

export const dynamic = "force-dynamic";

/** Every rule of the list (compact rows, see CompactRow) for the rule list; same session and role as the /rules page. */
export function GET(request: Request): Promise<Response> {
  return apiRoute(request, "viewer", "Listing rules", async () => {
    const { store } = await getServices();
    // The cursor is read before the rows so the live stream's later changes can be re-applied on top.
    const seq = await liveCursor(store);
    const rows = (await store.listRules()).map(toRuleRow);
    const payload: RowsPayload = { seq, rows: rows.map(toCompactRow), names: attackNamesFor(rows) };
    return Response.json(payload, { headers: { "cache-control": "private, no-store" } });
  });
}
