import "server-only";
import { isTtpError, ValidationError } from "../../lib/errors";
import type { RuleState } from "../../lib/state/rule-state";
import { getServices } from "./services";

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
