import { NextResponse, type NextRequest } from "next/server";
import { parseDashboardEnv } from "./lib/config/env";
import { REQUESTED_PATH_HEADER } from "./app/_lib/requested-path";
import { isPagePath, newNonce, securityHeaders, servedOverHttps, type SecureMode } from "./app/_lib/security-headers";

let secureMode: SecureMode | null = null;

// Every response gets the security headers (app/_lib/security-headers.ts). A page gets a fresh
// script nonce, handed to Next.js in the request's Content-Security-Policy header: Next puts it on
// its own scripts while rendering (the root layout makes every page dynamic for that).
export function proxy(request: NextRequest): NextResponse {
  secureMode ??= parseDashboardEnv(process.env).TTP_COOKIE_SECURE;
  const https = servedOverHttps(secureMode, request.headers.get("x-forwarded-proto"));
  const page = isPagePath(request.nextUrl.pathname);
  const nonce = page ? newNonce() : null;
  const set = securityHeaders({ nonce, https, dev: process.env.NODE_ENV === "development" });

  const headers = new Headers(request.headers);
  headers.delete("x-nonce");
  headers.delete("content-security-policy");
  headers.delete(REQUESTED_PATH_HEADER);
  if (nonce !== null) {
    headers.set("x-nonce", nonce);
    headers.set("content-security-policy", set["content-security-policy"] ?? "");
    headers.set(REQUESTED_PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  }
  const response = NextResponse.next({ request: { headers } });
  for (const [name, value] of Object.entries(set)) response.headers.set(name, value);
  return response;
}

// Everything: pages, route handlers (/api, /monaco) and Next's own assets.
export const config = { matcher: "/:path*" };
