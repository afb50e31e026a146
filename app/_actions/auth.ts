"use server";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { verifyPasswordThrottled } from "../../lib/auth/sign-in";
import { dashboardMetrics } from "../../lib/dashboard-metrics";
import { safeNext } from "../_lib/safe-next";
import { getServices } from "../_server/services";
import { clientIp, SESSION_COOKIE, setSessionCookie } from "../_server/session";

export interface LoginFormState {
  error: string | null;
  username: string;
}

const LoginInput = z.object({
  username: z.string().trim().min(1, { message: "Enter your username." }).max(64, { message: "Usernames are at most 64 characters." }),
  password: z.string().min(1, { message: "Enter your password." }).max(256, { message: "Passwords are at most 256 characters." }),
  next: z.string().optional(),
});

export async function loginAction(_prev: LoginFormState, form: FormData): Promise<LoginFormState> {
  const parsed = LoginInput.safeParse({
    username: form.get("username") ?? "",
    password: form.get("password") ?? "",
    next: typeof form.get("next") === "string" ? (form.get("next") as string) : undefined,
  });
  const username = typeof form.get("username") === "string" ? (form.get("username") as string) : "";
  if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? "Invalid sign-in form.", username };
  const { auth, throttle, env, logger } = await getServices();
  const ip = await clientIp(env.TTP_TRUST_PROXY);
  const check = await verifyPasswordThrottled({ auth, throttle }, { username: parsed.data.username, password: parsed.data.password, ip });
  if (!check.ok) dashboardMetrics().signInFailures.inc({ reason: check.reason === "throttled" ? "throttled" : "wrong_password" });
  if (!check.ok && check.reason === "throttled") {
    const minutes = Math.max(1, Math.ceil(check.retryAfterMs / 60_000));
    logger.warn("sign-in throttled", { username: parsed.data.username, ip });
    return { error: `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`, username };
  }
  if (!check.ok) {
    logger.info("sign-in failed", { username: parsed.data.username, ip });
    return { error: "Wrong username or password.", username };
  }
  const { user } = check;
  const session = await auth.createSession(user.id);
  await setSessionCookie(session.token, env.TTP_COOKIE_SECURE);
  logger.info("signed in", { username: user.username, role: user.role, ip });
  redirect(safeNext(parsed.data.next));
}

export async function logoutAction(): Promise<void> {
  const jar = await cookies();
  const token = jar.get(SESSION_COOKIE)?.value;
  if (token) {
    const { auth } = await getServices();
    await auth.deleteSession(token);
  }
  jar.delete(SESSION_COOKIE);
  redirect("/login");
}
