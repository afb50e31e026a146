import path from "node:path";
import type { APIRequestContext, APIResponse } from "@playwright/test";
import { RuleEditorPage } from "./pages/rule-editor-page";
import { createTempDatabase, prepareDatabase, startServer } from "./support/app-server";
import { expect, test } from "./fixtures";

// The security headers proxy.ts puts on pages, route handlers and the /monaco assets, and the page
// policy holding in the browser. Read only: no rule is written.

const NONCE = /script-src 'self' 'nonce-([A-Za-z0-9+/]+={0,2})'/;
const RESOURCE_CSP = "default-src 'none'; frame-ancestors 'none'";

async function anonymous(playwright: { request: { newContext(o: object): Promise<APIRequestContext> } }, baseURL: string): Promise<APIRequestContext> {
  return playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
}

function expectCommonHeaders(res: APIResponse): void {
  const h = res.headers();
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["referrer-policy"]).toBe("same-origin");
  expect(h["content-security-policy"]).toContain("frame-ancestors 'none'");
}

/** The nonce of a page's policy, after checking that every script tag of the page carries it. */
async function pageNonce(res: APIResponse): Promise<string> {
  expectCommonHeaders(res);
  const csp = res.headers()["content-security-policy"] ?? "";
  for (const directive of ["default-src 'self'", "style-src 'self' 'unsafe-inline'", "worker-src 'self' blob:", "connect-src 'self'"]) {
    expect(csp).toContain(directive);
  }
  expect(csp).not.toContain("unsafe-eval");
  const nonce = NONCE.exec(csp)?.[1];
  expect(nonce, csp).toBeTruthy();
  const scripts = (await res.text()).match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  return nonce as string;
}

test.describe("signed out", () => {
  test.use({ signedInAs: null });

  test("a page has a policy with a fresh script nonce per request, on every one of its scripts", async ({ playwright, baseURL }) => {
    const api = await anonymous(playwright, baseURL as string);
    try {
      const first = await api.get("/login");
      expect(first.status()).toBe(200);
      expect(first.headers()["content-type"]).toContain("text/html");
      const second = await api.get("/login");
      expect(await pageNonce(second)).not.toBe(await pageNonce(first));
      expect(first.headers()["strict-transport-security"], "HSTS over plain HTTP").toBeUndefined();
      // A page the visitor may not see (redirect to sign-in) and an unknown one are covered too.
      const redirect = await api.get("/rules", { maxRedirects: 0 });
      expect(redirect.status()).toBe(307);
      expectCommonHeaders(redirect);
      const missing = await api.get("/no-such-page");
      expect(missing.status()).toBe(404);
      await pageNonce(missing);
    } finally {
      await api.dispose();
    }
  });

  test("route handlers and the /monaco assets answer with nosniff, same-origin referrers and a policy that loads nothing", async ({ playwright, baseURL }) => {
    const api = await anonymous(playwright, baseURL as string);
    try {
      const json = await api.get("/api/v1/ttp/rules");
      expect(json.status()).toBe(401);
      const asset = await api.get("/monaco/vs/loader.js");
      expect(asset.status()).toBe(200);
      expect(asset.headers()["content-type"]).toContain("text/javascript");
      const missingAsset = await api.get("/monaco/vs/no-such-file.js");
      expect(missingAsset.status()).toBe(404);
      for (const res of [json, asset, missingAsset]) {
        expectCommonHeaders(res);
        expect(res.headers()["content-security-policy"]).toBe(RESOURCE_CSP);
      }
    } finally {
      await api.dispose();
    }
  });

  test("the policy refuses an injected inline script, and the fixture reports it as a violation", async ({ page, cspViolations }) => {
    await page.goto("/login");
    await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
    await page.evaluate(() => {
      const s = document.createElement("script");
      s.textContent = "window.__injected = true";
      document.body.append(s);
    });
    await expect.poll(() => cspViolations.list().join("\n")).toMatch(/script-src/);
    expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
    // A blob: worker inherits the page's policy; its eval is refused and reported from the worker.
    cspViolations.clear();
    const worker = page.waitForEvent("worker");
    await page.evaluate(() => {
      const code = "onmessage = () => { try { eval('1'); postMessage('ran'); } catch (e) { postMessage(String(e)); } }";
      const w = new Worker(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
      w.onmessage = (e: MessageEvent<string>) => ((window as unknown as { __answer?: string }).__answer = e.data);
      (window as unknown as { __worker?: Worker }).__worker = w;
    });
    await (await worker).evaluate(() => 0); // the fixture's listener is in once the worker answers
    await page.evaluate(() => (window as unknown as { __worker: Worker }).__worker.postMessage("go"));
    await expect.poll(() => page.evaluate(() => (window as unknown as { __answer?: string }).__answer)).toMatch(/EvalError/);
    await expect.poll(() => cspViolations.list().join("\n")).toMatch(/worker blob:.* script-src refused eval/);
    cspViolations.clear();
  });

  test("behind a TLS proxy (TTP_COOKIE_SECURE=auto, X-Forwarded-Proto: https) every response carries HSTS", async ({ playwright }) => {
    const db = createTempDatabase("ttp-e2e-hsts-");
    try {
      await prepareDatabase(db.url);
      const server = await startServer({
        databaseUrl: db.url,
        logFile: path.join(__dirname, "logs", `next-server-hsts-${process.env.TTP_E2E_RUN_ID ?? process.pid}.log`),
        env: { TTP_COOKIE_SECURE: "auto" },
      });
      const api = await anonymous(playwright, server.baseURL);
      try {
        const https = { "x-forwarded-proto": "https" };
        for (const url of ["/login", "/api/v1/ttp/rules", "/monaco/vs/loader.js"]) {
          expect((await api.get(url, { headers: https })).headers()["strict-transport-security"], url).toBe("max-age=31536000");
          expect((await api.get(url)).headers()["strict-transport-security"], `${url} over plain HTTP`).toBeUndefined();
        }
      } finally {
        await api.dispose();
        await server.stop();
      }
    } finally {
      db.remove();
    }
  });
});

test("the rule editor runs under the policy: Monaco's scripts, styles, fonts and blob: workers load without a violation", async ({ page }) => {
  const editor = new RuleEditorPage(page);
  const worker = page.waitForEvent("worker");
  await page.goto("/rules/R1001");
  await expect(editor.region.locator(".monaco-editor .view-lines")).toContainText("system_information_discovery");
  expect((await worker).url()).toMatch(/^blob:/);
  // A keystroke exercises the editor worker, markers and completion.
  await editor.cursorAtEndOf("name:");
  await page.keyboard.type(" ");
  await expect(editor.unsaved).toBeVisible();
});
