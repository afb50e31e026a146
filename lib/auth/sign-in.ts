import type { LoginThrottle } from "./login-throttle";
import type { AuthStore, User } from "./types";

export interface PasswordCheckContext {
  auth: Pick<AuthStore, "verifyPassword">;
  throttle: LoginThrottle;
}

export interface PasswordCheckInput {
  username: string;
  password: string;
  /** The client's address when a trusted proxy vouches for it (clientAddress), else null. */
  ip: string | null;
}

export type PasswordCheck = { ok: true; user: User } | { ok: false; reason: "wrong-password" } | { ok: false; reason: "throttled"; retryAfterMs: number };

/**
 * A user's password checked behind the sign-in throttle (sign-in and "change my password"): a
 * throttle point is consumed before argon2 runs and given back when the password is right, so at
 * most maxFailures wrong attempts per user name (+ address) are ever verified, however many arrive
 * at once and in however many dashboard processes.
 */
export async function verifyPasswordThrottled(ctx: PasswordCheckContext, input: PasswordCheckInput): Promise<PasswordCheck> {
  const r = await ctx.throttle.attempt(input.username, input.ip, () => ctx.auth.verifyPassword(input.username, input.password));
  if (r.outcome === "ok") return { ok: true, user: r.value };
  if (r.outcome === "throttled") return { ok: false, reason: "throttled", retryAfterMs: r.retryAfterMs };
  return { ok: false, reason: "wrong-password" };
}
