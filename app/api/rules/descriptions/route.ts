import { descriptionsOf } from "../../../_lib/rule-row-server";
import { errorFromThrown, errorResponse } from "../../../_server/http";
import { getServices } from "../../../_server/services";
import { authenticateRequest } from "../../../_server/session";

export const dynamic = "force-dynamic";

/** rule id → description for the rule list's search, fetched once the list is on screen. */
export async function GET(request: Request): Promise<Response> {
  const who = await authenticateRequest(request, "viewer");
  if (!who.ok) return errorResponse(who.status, who.message);
  try {
    const { store } = await getServices();
    return Response.json(descriptionsOf(await store.listRules()), { headers: { "cache-control": "private, no-store" } });
  } catch (err) {
    return errorFromThrown(err, "Listing rule descriptions");
  }
}
