import { apiRoute, errorResponse } from "../../../../_server/http";
import { loadRulePage } from "../rule-page-data";

const RULE_ID = /^[A-Za-z0-9_]{1,128}$/;

/** The rule page's data as JSON (react-query refetches it after a definition change); 404 once the rule is deleted. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await params;
  return apiRoute(request, "viewer", `Reading rule ${id}`, async () => {
    if (!RULE_ID.test(id)) return errorResponse(404, "Unknown rule id: letters, digits and _ only, at most 128.");
    return Response.json(await loadRulePage(id), { headers: { "cache-control": "no-store" } });
  });
}
