// The response headers proxy.ts puts on every page, route handler and asset. Pure, so the
// proxy, the session cookie and the unit test share one definition.

export type SecureMode = "auto" | "always" | "never";

/** Whether a request counts as served over HTTPS (session cookie `Secure`, HSTS): TTP_COOKIE_SECURE always/never, else the first X-Forwarded-Proto entry. */
export function servedOverHttps(mode: SecureMode, forwardedProto: string | null): boolean {
  if (mode !== "auto") return mode === "always";
  return (forwardedProto ?? "").split(",")[0]?.trim().toLowerCase() === "https";
}

/** A fresh CSP nonce: 16 random bytes, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The policy of an HTML page. `style-src 'unsafe-inline'`: React renders `style={…}` as style
 * attributes and Monaco injects <style> elements and style attributes at run time, none of which
 * can carry a nonce (and a nonce in style-src would switch 'unsafe-inline' off). `data:` images
 * and fonts: Monaco's CSS inlines its codicon font and the marker squiggles as data: URLs.
 * `worker-src blob:`: Monaco starts its workers from blob: URLs that importScripts the
 * same-origin worker file.
 */
export function pageCsp(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    // `next dev` only: React rebuilds server error stacks in the browser with eval.
    `script-src 'self' 'nonce-${nonce}'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The policy of everything that is not a page (JSON, server-sent events, scripts and styles): nothing may load from it, nobody may frame it. */
export const RESOURCE_CSP = "default-src 'none'; frame-ancestors 'none'";

export const HSTS = "max-age=31536000";

/** Response headers for a page (`nonce` set) or any other response (`nonce` null). */
export function securityHeaders({ nonce, https, dev = false }: { nonce: string | null; https: boolean; dev?: boolean }): Record<string, string> {
  const headers: Record<string, string> = {
    "content-security-policy": nonce === null ? RESOURCE_CSP : pageCsp(nonce, dev),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
  };
  if (https) headers["strict-transport-security"] = HSTS;
  return headers;
}

/** Paths served by route handlers or as build assets rather than rendered as pages. */
export function isPagePath(pathname: string): boolean {
  return !/^\/(?:api|monaco|_next)(?:\/|$)/.test(pathname);
}
