import { apiRoute } from "../../../_server/http";
import { jsonResponse, ruleListBodies } from "../../../_server/rule-list-payload";
import { getServices } from "../../../_server/services";

export const dynamic = "force-dynamic";

/** rule id → description for the rule list's search, fetched once the list is on screen. */
export function GET(request: Request): Promise<Response> {
  return apiRoute(request, "viewer", "Listing rule descriptions", async () => {
    const { store } = await getServices();
    return jsonResponse((await ruleListBodies(store)).descriptions);
  });
}
