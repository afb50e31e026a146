// The DECNET HTTP API's state route handlers, called as Next.js calls them, on real stores: they
// apply the dashboard's state policy (TTP_REQUIRE_REASON, TTP_MAX_EXPIRY) like every other writer.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_STATE } from "../../../../../../../lib/state/semantics";
import { installTestServices, type TestServices } from "../../../../../../_server/testing/services";
import { DELETE, POST } from "./route";

vi.mock("server-only", () => ({}));
// Next's cookies() outside a Next server: the session cookie of the request being handled.
const cookie = vi.hoisted(() => ({ session: "" }));
vi.mock("next/headers", () => ({
  cookies: async () => ({ get: (name: string) => (name === "ttp_session" && cookie.session ? { name, value: cookie.session } : undefined) }),
  headers: async () => new Headers(),
}));

const HOUR = 3_600_000;

function call(handler: typeof POST, method: string, ruleId: string, token: string, body?: unknown, query = ""): Promise<Response> {
  const request = new Request(`http://127.0.0.1/api/v1/ttp/rules/${ruleId}/state${query}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return handler(request, { params: Promise.resolve({ ruleId }) });
}

async function detail(res: Response): Promise<{ status: number; detail: unknown }> {
  return { status: res.status, detail: ((await res.json()) as { detail: unknown }).detail };
}

describe("POST/DELETE /api/v1/ttp/rules/{id}/state with TTP_REQUIRE_REASON=true, TTP_MAX_EXPIRY=1d", () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await installTestServices(["R1", "R2"], { TTP_REQUIRE_REASON: "true", TTP_MAX_EXPIRY: "1d" });
  });
  afterAll(() => t.close());

  const post = (body: unknown, ruleId = "R1") => call(POST, "POST", ruleId, t.adminToken, body);

  it("refuses a disable without a reason or without an expiry: 400 naming the field, nothing written", async () => {
    expect(await detail(await post({ state: "disabled" }))).toEqual({
      status: 400,
      detail: [
        { loc: ["expires_at"], msg: "expires_at is required, at most 1d 0h from now (TTP_MAX_EXPIRY)" },
        { loc: ["reason"], msg: "reason is required to disable or clip a rule (TTP_REQUIRE_REASON)" },
      ],
    });
    const inOneHour = new Date(Date.now() + HOUR).toISOString();
    expect(await detail(await post({ state: "clipped", confidence_max: 0.2, expires_at: inOneHour, reason: " " }))).toEqual({
      status: 400,
      detail: [{ loc: ["reason"], msg: "reason is required to disable or clip a rule (TTP_REQUIRE_REASON)" }],
    });
    expect(await t.services.store.getState("R1")).toEqual(DEFAULT_STATE);
    expect(await t.services.store.history({ limit: 10 })).toEqual([expect.objectContaining({ kind: "definition" }), expect.objectContaining({ kind: "definition" })]);
  });

  it("refuses an expiry past TTP_MAX_EXPIRY, as an instant or a duration, and one in the past", async () => {
    const tooFar = { status: 400, detail: [{ loc: ["expires_at"], msg: "expires_at must be at most 1d 0h from now (TTP_MAX_EXPIRY)" }] };
    expect(await detail(await post({ state: "disabled", expires_at: new Date(Date.now() + 2 * 24 * HOUR).toISOString(), reason: "noisy" }))).toEqual(tooFar);
    expect(await detail(await post({ state: "disabled", expires_at: "7d", reason: "noisy" }))).toEqual(tooFar);
    expect(await detail(await post({ state: "disabled", expires_at: "2001-01-01T00:00:00Z", reason: "noisy" }))).toEqual({
      status: 400,
      detail: [{ loc: ["expires_at"], msg: "expires_at must be in the future" }],
    });
    expect(await detail(await post({ state: "clipped", expires_at: "1h", reason: "noisy" }))).toEqual({
      status: 400,
      detail: [{ loc: ["confidence_max"], msg: "clipped requires confidence_max in [0, 1)" }],
    });
    expect(await t.services.store.getState("R1")).toEqual(DEFAULT_STATE);
  });

  it("stores a request within the policy; set_by is the token's user; a duration is taken from now", async () => {
    const before = Date.now();
    const res = await post({ state: "clipped", confidence_max: 0.3, expires_at: "2h", reason: "noisy after the ls storm" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ rule_id: "R1", state: "clipped", confidence_max: 0.3, reason: "noisy after the ls storm", set_by: "ana" });
    expect(Date.parse(body.expires_at as string) - before).toBeGreaterThanOrEqual(2 * HOUR);
    expect(Date.parse(body.expires_at as string) - Date.now()).toBeLessThanOrEqual(2 * HOUR);
    expect(await t.services.store.getState("R1")).toMatchObject({ state: "clipped", set_by: "ana" });
    // Enabling cannot switch a rule off: the policy does not apply to it.
    expect((await post({ state: "enabled" }, "R2")).status).toBe(200);
  });

  it("DELETE records a reason of up to 1,000 characters and refuses a longer one with a 400 naming reason", async () => {
    const del = (reason: string) => call(DELETE, "DELETE", "R1", t.adminToken, undefined, `?reason=${encodeURIComponent(reason)}`);
    expect(await detail(await del("x".repeat(1001)))).toEqual({ status: 400, detail: [{ loc: ["reason"], msg: "reason must be at most 1000 characters" }] });
    expect(await t.services.store.getState("R1")).toMatchObject({ state: "clipped" });
    const ok = await del("x".repeat(1000));
    expect(ok.status).toBe(200);
    expect(await t.services.store.getState("R1")).toEqual(DEFAULT_STATE);
    expect((await t.services.store.history({ ruleId: "R1", limit: 1 }))[0]).toMatchObject({ kind: "state", actor: "ana", reason: "x".repeat(1000) });
  });

  it("checks the role and the body before the policy: 403 for a viewer, 400 for malformed JSON and set_by", async () => {
    expect((await call(POST, "POST", "R1", t.viewerToken, { state: "disabled", expires_at: "1h", reason: "x" })).status).toBe(403);
    expect(await detail(await post("{not json"))).toEqual({ status: 400, detail: "Body must be valid JSON" });
    expect((await post({ state: "disabled", expires_at: "1h", reason: "x", set_by: "mallory" })).status).toBe(400);
    expect((await post({ state: "disabled", expires_at: "1h", reason: "x" }, "NOPE")).status).toBe(404);
  });
});

describe("POST /api/v1/ttp/rules/{id}/state without a policy", () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await installTestServices(["R1"]);
  });
  afterAll(() => t.close());

  it("disables without a reason or expiry (DECNET's behaviour), still refusing what the semantics refuse", async () => {
    const res = await call(POST, "POST", "R1", t.adminToken, { state: "disabled" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rule_id: "R1", state: "disabled", expires_at: null, reason: null, set_by: "ana" });
    expect(await detail(await call(POST, "POST", "R1", t.adminToken, { state: "clipped", confidence_max: 1 }))).toEqual({
      status: 400,
      detail: [{ loc: ["confidence_max"], msg: "confidence_max must be < 1 (a clip of 1 would not lower anything)" }],
    });
  });
});

describe("cookie-authenticated writes and the Origin header (CSRF)", () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await installTestServices(["R1"]);
  });
  afterAll(() => t.close());

  const withCookie = (headers: Record<string, string>): Request => {
    cookie.session = t.adminSession;
    return new Request("http://127.0.0.1:3000/api/v1/ttp/rules/R1/state", {
      method: "POST",
      headers: { cookie: `ttp_session=${t.adminSession}`, host: "127.0.0.1:3000", "content-type": "application/json", ...headers },
      body: JSON.stringify({ state: "disabled", reason: "csrf test" }),
    });
  };

  it("refuses a write without Origin, from another origin or from a null origin, and writes nothing", async () => {
    for (const origin of [null, "https://evil.example", "null", "http://127.0.0.1:3001"]) {
      const res = await POST(withCookie(origin === null ? {} : { origin }), { params: Promise.resolve({ ruleId: "R1" }) });
      expect(res.status, String(origin)).toBe(403);
    }
    expect(await t.services.store.getState("R1")).toEqual(DEFAULT_STATE);
  });

  it("accepts the dashboard's own origin, and a bearer token without any Origin", async () => {
    const res = await POST(withCookie({ origin: "http://127.0.0.1:3000" }), { params: Promise.resolve({ ruleId: "R1" }) });
    expect(res.status).toBe(200);
    expect((await t.services.store.getState("R1")).state).toBe("disabled");
    const cleared = await call(DELETE, "DELETE", "R1", t.adminToken, undefined, "?reason=done");
    expect(cleared.status).toBe(200);
  });
});
