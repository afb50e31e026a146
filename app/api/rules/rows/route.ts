import { apiRoute } from "../../../_server/http";
import { jsonResponse, ruleListBodies } from "../../../_server/rule-list-payload";
import { getServices } from "../../../_server/services";

export const dynamic = "force-dynamic";

/** Every rule of the list (compact rows, see CompactRow) for the rule list; same session and role as the /rules page. */
export function GET(request: Request): Promise<Response> {
  return apiRoute(request, "viewer", "Listing rules", async () => {
    const { store } = await getServices();
    return jsonResponse((await ruleListBodies(store)).rows);
  });
}
