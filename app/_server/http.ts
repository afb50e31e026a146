import "server-only";
import { isTtpError, ValidationError } from "../../lib/errors";
import type { RuleState } from "../../lib/state/semantics";
import type { Role, User } from "../../lib/auth/types";
import { getServices } from "./services";
import { authenticateRequest } from "./session";

/** FastAPI-style error body (`{"detail": …}`), as DECNET's API returns. */
export function errorResponse(status: number, detail: unknown): Response {
  return Response.json({ detail }, { status });
}

export async function errorFromThrown(err: unknown, what: string): Promise<Response> {
  if (err instanceof ValidationError) {
    return errorResponse(400, err.issues.map((i) => ({ loc: i.path, msg: i.message })));
  }
  if (isTtpError(err)) {
    const status = { NOT_FOUND: 404, CONFLICT: 409, VALIDATION: 400, FORBIDDEN: 403, BUSY: 503, INTERNAL: 500 }[err.code];
    return errorResponse(status, err.message);
  }
  const { logger } = await getServices();
  logger.error(`${what} failed`, { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return errorResponse(500, `${what} failed on the server`);
}

/** DECNET's RuleStateResponse. */
export function stateResponse(ruleId: string, s: RuleState): Record<string, unknown> {
  return { rule_id: ruleId, state: s.state, confidence_max: s.confidence_max, expires_at: s.expires_at, reason: s.reason, set_by: s.set_by, set_at: s.set_at };
}

/**
 * Every API route handler: authenticate and check the role (401/403), run the body, and map what
 * it throws (400/404/409/503/500 with a `{"detail"}` body). `what` names the operation in errors.
 */
export async function apiRoute(request: Request, role: Role, what: string, body: (user: User) => Promise<Response>): Promise<Response> {
  const who = await authenticateRequest(request, role);
  if (!who.ok) return errorResponse(who.status, who.message);
  try {
    return await body(who.user);
  } catch (err) {
    return errorFromThrown(err, what);
  }
}
