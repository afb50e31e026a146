import "server-only";
import { crossOriginRefusal } from "./upload";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { clientAddress } from "../../lib/auth/client-address";
import type { Role, User } from "../../lib/auth/types";
import { REQUESTED_PATH_HEADER } from "../_lib/requested-path";
import { safeNext } from "../_lib/safe-next";
import { servedOverHttps, type SecureMode } from "../_lib/security-headers";
import { getServices } from "./services";

export const SESSION_COOKIE = "ttp_session";

/** The signed-in user of this request, or null. Reads only; never sets cookies. */
export async function getCurrentUser(): Promise<User | null> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return null;
  const { auth } = await getServices();
  const session = await auth.validateSession(token);
  return session?.user ?? null;
}

/** For pages: the user, or a redirect to the sign-in page that comes back to the requested page. */
export async function requireUser(): Promise<User> {
  const user = await getCurrentUser();
  if (!user) {
    const wanted = safeNext((await headers()).get(REQUESTED_PATH_HEADER));
    redirect(wanted === "/rules" ? "/login" : `/login?next=${encodeURIComponent(wanted)}`);
  }
  return user;
}

export function hasRole(user: User, role: Role): boolean {
  return role === "viewer" || user.role === "admin";
}

/** Whether the session cookie should carry `Secure`: always/never by configuration, else when the request came over HTTPS. */
export async function cookieSecure(mode: SecureMode): Promise<boolean> {
  return servedOverHttps(mode, (await headers()).get("x-forwarded-proto"));
}

/** Puts a new session token in the httpOnly, SameSite=Lax session cookie (Secure as configured). */
export async function setSessionCookie(token: string, secureMode: "auto" | "always" | "never"): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, token, { httpOnly: true, sameSite: "lax", secure: await cookieSecure(secureMode), path: "/", maxAge: 30 * 86_400 });
}

/**
 * Client address for sign-in throttling: the X-Forwarded-For entry the outermost of the
 * `trustedProxies` reverse proxies the operator vouches for (TTP_TRUST_PROXY) appended, never an
 * entry the client wrote itself (lib/auth/client-address.ts). Next.js does not expose the socket
 * address, so without a trusted proxy the result is null and the throttle counts per user name.
 */
export async function clientIp(trustedProxies: number): Promise<string | null> {
  if (trustedProxies === 0) return null;
  return clientAddress((await headers()).get("x-forwarded-for"), trustedProxies);
}

export type AuthOutcome = { ok: true; user: User } | { ok: false; status: 401 | 403; message: string };

/** What a route-handler request authenticates with: an Authorization header (bearer token, null when malformed) or else the session cookie. */
type Credential = { kind: "bearer"; token: string | null } | { kind: "cookie"; token: string | null };

async function credentialOf(request: Request): Promise<Credential> {
  const authz = request.headers.get("authorization");
  if (authz) return { kind: "bearer", token: /^Bearer\s+(\S+)$/i.exec(authz)?.[1] ?? null };
  return { kind: "cookie", token: (await cookies()).get(SESSION_COOKIE)?.value ?? null };
}

/** The user a credential stands for now, or null; `renew` slides a session (false for re-checks). */
async function userOf(c: Credential, renew: boolean): Promise<User | null> {
  if (c.token === null) return null;
  const { auth } = await getServices();
  if (c.kind === "bearer") return auth.validateApiToken(c.token);
  return (await auth.validateSession(c.token, { renew }))?.user ?? null;
}

/** Route handlers: `Authorization: Bearer <api token>` or the session cookie; then the role check. */
export async function authenticateRequest(request: Request, role: Role): Promise<AuthOutcome> {
  const credential = await credentialOf(request);
  const user = await userOf(credential, true);
  if (!user) return { ok: false, status: 401, message: "Could not validate credentials" };
  if (credential.kind === "cookie") {
    // Cookie-authenticated writes must come from our own pages (SameSite=Lax already blocks most cross-site posts).
    // An Origin is required: a missing, "null" or foreign one is refused (it used to pass when absent, and throw on "null").
    if (request.method !== "GET" && request.method !== "HEAD") {
      const refused = crossOriginRefusal(request);
      if (refused !== null) return { ok: false, status: 403, message: refused };
    }
  }
  if (!hasRole(user, role)) return { ok: false, status: 403, message: "Insufficient permissions" };
  return { ok: true, user };
}

/**
 * For long-lived responses (the SSE stream): a re-check that the credential this request came
 * with still grants `role` — the session not ended (signed out, password changed), the user not
 * removed or demoted, the API token not revoked. Never slides the session (a re-check is not
 * activity), so an idle tab still times out.
 */
export async function credentialCheck(request: Request, role: Role): Promise<() => Promise<boolean>> {
  const credential = await credentialOf(request);
  return async () => {
    const user = await userOf(credential, false);
    return user !== null && hasRole(user, role);
  };
}
