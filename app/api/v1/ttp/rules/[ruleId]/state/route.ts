import { statePolicyOf } from "../../../../../../../lib/config/env";
import { resolveStateRequest, stateValidationError } from "../../../../../../../lib/state/policy";
import { apiRoute, errorResponse, stateResponse } from "../../../../../../_server/http";
import { getServices } from "../../../../../../_server/services";

export const dynamic = "force-dynamic";

const MAX_BODY = 16 * 1024;

type Ctx = { params: Promise<{ ruleId: string }> };

/** Sets disable / clip / expiry (DECNET's RuleStateRequest) under the dashboard's state policy; set_by is the authenticated caller. */
export async function POST(request: Request, ctx: Ctx): Promise<Response> {
  const { ruleId } = await ctx.params;
  return apiRoute(request, "admin", `Setting the state of ${ruleId}`, async (user) => {
    const text = await request.text();
    if (text.length > MAX_BODY) return errorResponse(400, `Body must be at most ${MAX_BODY} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return errorResponse(400, "Body must be valid JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) return errorResponse(400, "Body must be a JSON object");
    if ("set_by" in body || "set_at" in body) {
      return errorResponse(400, "set_by and set_at come from the authenticated caller and the server clock; remove them from the body");
    }
    const { store, env } = await getServices();
    const resolved = resolveStateRequest(body, statePolicyOf(env), Date.now());
    if (!resolved.ok) throw stateValidationError(ruleId, resolved.issues);
    return Response.json(stateResponse(ruleId, await store.setState(ruleId, resolved.state, user.username)));
  });
}

/** Reverts a rule to the default enabled state; an optional `?reason=` (at most 1,000 characters) is recorded. */
export async function DELETE(request: Request, ctx: Ctx): Promise<Response> {
  const { ruleId } = await ctx.params;
  const reason = new URL(request.url).searchParams.get("reason") ?? undefined;
  return apiRoute(request, "admin", `Reverting the state of ${ruleId}`, async (user) => {
    const { store } = await getServices();
    return Response.json(stateResponse(ruleId, await store.clearState(ruleId, user.username, reason)));
  });
}
