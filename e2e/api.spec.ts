import type { APIRequestContext } from "@playwright/test";
import { expect, test } from "./fixtures";

// The DECNET-compatible HTTP API (SPEC §6) as a script sees it: bearer tokens, no browser session.
// R1037 is used only here; R9999 does not exist (the 404 case).
test.use({ signedInAs: null });

const RULE = "R1037";

async function token(cli: { run(args: string[]): Promise<{ stdout: string }> }, user: string): Promise<string> {
  return (await cli.run(["token", "create", user, "--label", `e2e-${user}-${Date.now()}`])).stdout.trim();
}

async function client(playwright: { request: { newContext(o: object): Promise<APIRequestContext> } }, baseURL: string, bearer?: string): Promise<APIRequestContext> {
  return playwright.request.newContext({
    baseURL,
    storageState: { cookies: [], origins: [] },
    extraHTTPHeaders: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
}

test("GET /api/v1/ttp/rules lists every rule with its state, sorted by rule_id; 401 without credentials", async ({ playwright, baseURL, cli }) => {
  const api = await client(playwright, baseURL as string, await token(cli, "viewer"));
  const anonymous = await client(playwright, baseURL as string);
  try {
    const res = await api.get("/api/v1/ttp/rules");
    expect(res.status()).toBe(200);
    const rows = (await res.json()) as { rule_id: string; state: string; name: string }[];
    expect(rows.length).toBeGreaterThanOrEqual(76);
    expect(rows.map((r) => r.rule_id)).toEqual([...rows.map((r) => r.rule_id)].sort());
    expect(Object.keys(rows[0] ?? {})).toEqual(
      expect.arrayContaining(["rule_id", "rule_version", "name", "description", "state", "confidence_max", "expires_at", "reason", "set_by", "set_at"]),
    );
    expect(rows[0]).toMatchObject({ rule_id: "R1001", rule_version: 1 });
    const anon = await anonymous.get("/api/v1/ttp/rules");
    expect(anon.status()).toBe(401);
    expect(await anon.json()).toEqual({ detail: "Could not validate credentials" });
  } finally {
    await api.dispose();
    await anonymous.dispose();
  }
});

test("POST and DELETE /state: set_by is the token's user; 400, 403 and 404 as documented", async ({ playwright, baseURL, cli }) => {
  const admin = await client(playwright, baseURL as string, await token(cli, "admin"));
  const viewer = await client(playwright, baseURL as string, await token(cli, "viewer"));
  try {
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const set = await admin.post(`/api/v1/ttp/rules/${RULE}/state`, { data: { state: "clipped", confidence_max: 0.2, expires_at: expires, reason: "api test" } });
    expect(set.status()).toBe(200);
    expect(await set.json()).toMatchObject({ rule_id: RULE, state: "clipped", confidence_max: 0.2, expires_at: expires, reason: "api test", set_by: "admin" });
    expect(await cli.state(RULE)).toMatchObject({ state: "clipped", confidence_max: 0.2, set_by: "admin" });

    const malformed = await admin.post(`/api/v1/ttp/rules/${RULE}/state`, { headers: { "content-type": "application/json" }, data: Buffer.from("{not json") });
    expect(malformed.status()).toBe(400);
    expect(await malformed.json()).toEqual({ detail: "Body must be valid JSON" });
    const invalid = await admin.post(`/api/v1/ttp/rules/${RULE}/state`, { data: { state: "clipped" } });
    expect(invalid.status()).toBe(400);
    expect(JSON.stringify(await invalid.json())).toContain("confidence_max");
    const forged = await admin.post(`/api/v1/ttp/rules/${RULE}/state`, { data: { state: "disabled", set_by: "someone-else" } });
    expect(forged.status()).toBe(400);
    expect(await viewer.post(`/api/v1/ttp/rules/${RULE}/state`, { data: { state: "disabled" } }).then((r) => r.status())).toBe(403);
    expect(await admin.post("/api/v1/ttp/rules/R9999/state", { data: { state: "disabled" } }).then((r) => r.status())).toBe(404);
    // None of the refused requests changed anything.
    expect(await cli.state(RULE)).toMatchObject({ state: "clipped", set_by: "admin" });

    expect(await viewer.delete(`/api/v1/ttp/rules/${RULE}/state`).then((r) => r.status())).toBe(403);
    const cleared = await admin.delete(`/api/v1/ttp/rules/${RULE}/state?reason=done`);
    expect(cleared.status()).toBe(200);
    expect(await cleared.json()).toEqual({ rule_id: RULE, state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null });
    expect(await admin.delete("/api/v1/ttp/rules/R9999/state").then((r) => r.status())).toBe(404);
  } finally {
    await admin.dispose();
    await viewer.dispose();
  }
});
