import "server-only";
import { isTtpError, ValidationError, type ErrorCode } from "../../lib/errors";
import type { User } from "../../lib/auth/types";
import { getCurrentUser, hasRole } from "./session";
import type { Role } from "../../lib/auth/types";
import { getServices } from "./services";

export type ActionResult<T> =
  | { ok: true; data: T }
  | { ok: false; code: ErrorCode | "UNAUTHENTICATED"; message: string; fieldErrors?: Record<string, string> };

export function fail(code: ErrorCode | "UNAUTHENTICATED", message: string, fieldErrors?: Record<string, string>): ActionResult<never> {
  return fieldErrors ? { ok: false, code, message, fieldErrors } : { ok: false, code, message };
}

/** Maps what lib/ throws to an ActionResult; unknown errors are logged and reported without internals. */
export async function toActionError(err: unknown, what: string): Promise<ActionResult<never>> {
  if (err instanceof ValidationError) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of err.issues) {
      const key = issue.path.length > 0 ? String(issue.path[0]) : "_form";
      fieldErrors[key] ??= issue.message;
    }
    return fail("VALIDATION", err.issues.length === 1 ? (err.issues[0]?.message ?? err.message) : "Please fix the highlighted fields.", fieldErrors);
  }
  if (isTtpError(err)) return fail(err.code, err.message);
  const { logger } = await getServices();
  logger.error(`${what} failed`, { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return fail("INTERNAL", `${what} failed on the server; see the server log.`);
}

/** Every server action starts here: the session's user with the role, else a refusal. */
export async function authorize(role: Role): Promise<{ ok: true; user: User } | { ok: false; result: ActionResult<never> }> {
  const user = await getCurrentUser();
  if (!user) return { ok: false, result: fail("UNAUTHENTICATED", "Your session has ended; sign in again.") };
  if (!hasRole(user, role)) return { ok: false, result: fail("FORBIDDEN", `This needs the ${role} role; you are signed in as ${user.username} (${user.role}).`) };
  return { ok: true, user };
}
