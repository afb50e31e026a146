import { getServices } from "../../../../../../_server/services";
import { authenticateRequest } from "../../../../../../_server/session";
import { errorFromThrown, errorResponse, stateResponse } from "../../../../../../_server/http";

export const dynamic = "force-dynamic";

const MAX_BODY = 16 * 1024;

type Ctx = { params: Promise<{ ruleId: string }> };

/** Sets disable / clip / expiry (DECNET's RuleStateRequest); set_by is the authenticated caller. */
export async function POST(request: Request, ctx: Ctx): Promise<Response> {
  const who = await authenticateRequest(request, "admin");
  if (!who.ok) return errorResponse(who.status, who.message);
  const { ruleId } = await ctx.params;
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
  try {
    const { store } = await getServices();
    const state = await store.setState(ruleId, body, who.user.username);
    return Response.json(stateResponse(ruleId, state));
  } catch (err) {
    return errorFromThrown(err, `Setting the state of ${ruleId}`);
  }
}

/** Reverts a rule to the default enabled state; an optional `?reason=` is recorded. */
export async function DELETE(request: Request, ctx: Ctx): Promise<Response> {
  const who = await authenticateRequest(request, "admin");
  if (!who.ok) return errorResponse(who.status, who.message);
  const { ruleId } = await ctx.params;
  const reason = new URL(request.url).searchParams.get("reason") ?? undefined;
  try {
    const { store } = await getServices();
    const state = await store.clearState(ruleId, who.user.username, reason);
    return Response.json(stateResponse(ruleId, state));
  } catch (err) {
    return errorFromThrown(err, `Reverting the state of ${ruleId}`);
  }
}
