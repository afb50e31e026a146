import "server-only";

/**
 * CSRF defence of a cookie-authenticated POST to a route handler (server actions get Next's own
 * check): the Origin header must name this host. Requests with an Authorization header (API
 * tokens) are not cookie-authenticated and pass. Returns why the request is refused, or null.
 */
export function crossOriginRefusal(request: Request): string | null {
  if (request.headers.has("authorization")) return null;
  const origin = request.headers.get("origin");
  if (!origin) return "Origin header required for a request authenticated by the session cookie";
  const host = (request.headers.get("x-forwarded-host") ?? request.headers.get("host") ?? "").split(",")[0]?.trim();
  let originHost: string | null = null;
  try {
    originHost = new URL(origin).host;
  } catch {
    // "null" (sandboxed frames, some redirects) and garbage are foreign.
  }
  return originHost !== null && host && originHost === host ? null : "Cross-origin request refused";
}

/**
 * The request body, or null when it is (or declares to be) larger than `limit` bytes: refused by
 * Content-Length before reading, else reading stops at the first chunk past the limit.
 */
export async function readBodyUpTo(request: Request, limit: number): Promise<Uint8Array | null> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return null;
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      // A failed cancel means the stream already broke off; the request is refused either way.
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}
