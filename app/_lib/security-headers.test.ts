import { describe, expect, it } from "vitest";
import { HSTS, isPagePath, newNonce, RESOURCE_CSP, securityHeaders, servedOverHttps } from "./security-headers";

describe("servedOverHttps", () => {
  it("follows TTP_COOKIE_SECURE, else the first X-Forwarded-Proto entry", () => {
    expect(servedOverHttps("always", null)).toBe(true);
    expect(servedOverHttps("never", "https")).toBe(false);
    expect(servedOverHttps("auto", "https")).toBe(true);
    expect(servedOverHttps("auto", "HTTPS, http")).toBe(true);
    expect(servedOverHttps("auto", "http, https")).toBe(false);
    expect(servedOverHttps("auto", null)).toBe(false);
  });
});

describe("securityHeaders", () => {
  it("gives a page a nonce-based policy and HSTS only over HTTPS", () => {
    const h = securityHeaders({ nonce: "abc+/=", https: false });
    expect(h["content-security-policy"]).toContain("script-src 'self' 'nonce-abc+/='");
    expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(h["content-security-policy"]).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("same-origin");
    expect(h["strict-transport-security"]).toBeUndefined();
    expect(securityHeaders({ nonce: "abc", https: true })["strict-transport-security"]).toBe(HSTS);
    expect(securityHeaders({ nonce: "abc", https: false, dev: true })["content-security-policy"]).toContain("script-src 'self' 'nonce-abc' 'unsafe-eval'");
  });

  it("gives everything else a policy that loads nothing", () => {
    expect(securityHeaders({ nonce: null, https: false })["content-security-policy"]).toBe(RESOURCE_CSP);
  });

  it("tells pages from route handlers and assets", () => {
    for (const p of ["/", "/rules", "/rules/R1001", "/login", "/apis", "/monacox"]) expect(isPagePath(p)).toBe(true);
    for (const p of ["/api/events", "/api", "/monaco/vs/loader.js", "/_next/static/chunks/a.js"]) expect(isPagePath(p)).toBe(false);
  });
});

describe("newNonce", () => {
  it("is 16 random bytes in base64, fresh each time", () => {
    const a = newNonce();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(newNonce()).not.toBe(a);
  });
});
