// The state server actions (single, bulk, extend, enable) on real stores with the dashboard's state
// policy: each applies TTP_REQUIRE_REASON and TTP_MAX_EXPIRY through lib/state/policy. Only Next's
// request scope is stood in for (the session cookie of a signed-in admin).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_STATE } from "../../lib/state/semantics";
import { installTestServices, type TestServices } from "../_server/testing/services";
import { bulkClearRuleStateAction, bulkSetRuleStateAction } from "./bulk";
import { clearRuleStateAction, extendRuleStateAction, setRuleStateAction } from "./rule-state";

vi.mock("server-only", () => ({}));
const cookie = vi.hoisted(() => ({ session: "" }));
vi.mock("next/headers", () => ({
  cookies: async () => ({ get: (name: string) => (name === "ttp_session" && cookie.session ? { name, value: cookie.session } : undefined) }),
  headers: async () => new Headers(),
}));

const HOUR = 3_600_000;
const REASON_REQUIRED = "reason is required to disable or clip a rule (TTP_REQUIRE_REASON)";

describe("state server actions with TTP_REQUIRE_REASON=true, TTP_MAX_EXPIRY=1d", () => {
  let t: TestServices;
  beforeAll(async () => {
    t = await installTestServices(["R1", "R2", "R3", "R4"], { TTP_REQUIRE_REASON: "true", TTP_MAX_EXPIRY: "1d" });
    cookie.session = t.adminSession;
  });
  afterAll(() => t.close());

  const stateOf = (id: string) => t.services.store.getState(id);

  it("setRuleStateAction: field errors under the request's own names, nothing written", async () => {
    expect(await setRuleStateAction({ ruleId: "R1", state: "disabled", expires_at: null, reason: "" })).toEqual({
      ok: false,
      code: "VALIDATION",
      message: "Please fix the highlighted fields.",
      fieldErrors: { expires_at: "expires_at is required, at most 1d 0h from now (TTP_MAX_EXPIRY)", reason: REASON_REQUIRED },
    });
    const tooFar = await setRuleStateAction({ ruleId: "R1", state: "clipped", confidence_max: 1.5, expires_at: "7d", reason: "noisy" });
    expect(!tooFar.ok && tooFar.fieldErrors).toEqual({ confidence_max: "confidence_max must be < 1 (a clip of 1 would not lower anything)" });
    const instant = await setRuleStateAction({ ruleId: "R1", state: "disabled", expires_at: new Date(Date.now() + 2 * 24 * HOUR).toISOString(), reason: "noisy" });
    expect(!instant.ok && instant.fieldErrors).toEqual({ expires_at: "expires_at must be at most 1d 0h from now (TTP_MAX_EXPIRY)" });
    expect(await stateOf("R1")).toEqual(DEFAULT_STATE);
  });

  it("setRuleStateAction stores a request within the policy, set_by the signed-in user", async () => {
    const r = await setRuleStateAction({ ruleId: "R1", state: "clipped", confidence_max: 0.3, expires_at: "4h", reason: "  noisy  " });
    expect(r).toEqual({ ok: true, data: { ruleId: "R1", state: expect.objectContaining({ state: "clipped", confidence_max: 0.3, reason: "noisy", set_by: "ana" }) } });
    expect(await stateOf("R1")).toMatchObject({ state: "clipped", reason: "noisy" });
  });

  it("extendRuleStateAction applies TTP_MAX_EXPIRY to the new expiry", async () => {
    const r = await extendRuleStateAction("R1", "24h");
    expect(r).toMatchObject({ ok: false, code: "VALIDATION", message: "expires_at must be at most 1d 0h from now (TTP_MAX_EXPIRY)" });
    const before = (await stateOf("R1")).expires_at as string;
    const ok = await extendRuleStateAction("R1", "1h");
    expect(ok.ok && Date.parse(ok.data.state.expires_at as string) - Date.parse(before)).toBe(HOUR);
  });

  it("bulkSetRuleStateAction validates once under the policy and writes nothing when refused", async () => {
    const refused = await bulkSetRuleStateAction({ ruleIds: ["R2", "R3"], state: "disabled", expires_at: "30d" });
    expect(refused).toEqual({
      ok: false,
      code: "VALIDATION",
      message: "Please fix the highlighted fields.",
      fieldErrors: { expires_at: "expires_at must be at most 1d 0h from now (TTP_MAX_EXPIRY)", reason: REASON_REQUIRED },
    });
    expect([await stateOf("R2"), await stateOf("R3")]).toEqual([DEFAULT_STATE, DEFAULT_STATE]);
    const ok = await bulkSetRuleStateAction({ ruleIds: ["R2", "R3"], state: "disabled", expires_at: "1h", reason: "sweep" });
    expect(ok.ok && ok.data.succeeded.map((s) => [s.ruleId, s.state.state, s.state.reason])).toEqual([
      ["R2", "disabled", "sweep"],
      ["R3", "disabled", "sweep"],
    ]);
  });

  it("enable (single and bulk) caps the reason at 1,000 characters and writes nothing over it", async () => {
    const long = "x".repeat(1001);
    const single = await clearRuleStateAction("R2", long);
    expect(single).toMatchObject({ ok: false, code: "VALIDATION", fieldErrors: { reason: "reason must be at most 1000 characters" } });
    const bulk = await bulkClearRuleStateAction({ ruleIds: ["R2", "R3"], reason: long });
    expect(bulk).toMatchObject({ ok: false, code: "VALIDATION", fieldErrors: { reason: "reason must be at most 1000 characters" } });
    expect([(await stateOf("R2")).state, (await stateOf("R3")).state]).toEqual(["disabled", "disabled"]);
    expect(await clearRuleStateAction("R2", "done")).toMatchObject({ ok: true, data: { state: DEFAULT_STATE } });
  });
});
