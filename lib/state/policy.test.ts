import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors";
import { buildState, clearReason, NO_POLICY, resolveStateRequest, type StatePolicy } from "./policy";
import { MAX_REASON_LENGTH } from "./semantics";

const T0 = Date.parse("2026-11-29T10:00:00Z");
const HOUR = 3_600_000;
const strict: StatePolicy = { requireReason: true, maxExpiryMs: 24 * HOUR };

function issuesOf(request: unknown, policy: StatePolicy = NO_POLICY, now = T0): { path: (string | number)[]; message: string }[] {
  const r = resolveStateRequest(request, policy, now);
  return r.ok ? [] : r.issues;
}

function thrown(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error("expected a ValidationError");
}

describe("resolveStateRequest (request + policy → state or issues)", () => {
  it("normalises: enabled drops confidence_max, a blank reason is none, a reason is trimmed, the instant is UTC", () => {
    expect(resolveStateRequest({ state: "enabled", confidence_max: 0.5, reason: "  " }, NO_POLICY, T0)).toEqual({
      ok: true,
      state: { state: "enabled", confidence_max: null, expires_at: null, reason: null },
    });
    expect(resolveStateRequest({ state: "clipped", confidence_max: 0, expires_at: "2026-11-29T12:00:00+01:00", reason: " noisy " }, NO_POLICY, T0)).toEqual({
      ok: true,
      state: { state: "clipped", confidence_max: 0, expires_at: "2026-11-29T11:00:00.000Z", reason: "noisy" },
    });
  });

  it("takes the expiry as a duration from now as well as an instant", () => {
    const r = resolveStateRequest({ state: "disabled", expires_at: "90s" }, NO_POLICY, T0);
    expect(r.ok && r.state.expires_at).toBe("2026-11-29T10:01:30.000Z");
    expect(issuesOf({ state: "disabled", expires_at: "0m" })).toEqual([{ path: ["expires_at"], message: "expires_at must be a positive duration" }]);
    expect(issuesOf({ state: "disabled", expires_at: "2026-11-29T11:00:00" })[0]?.message).toMatch(/^expires_at must be a duration like 90s, 30m, 2h, 7d or an ISO-8601 instant with a zone/);
  });

  it("refuses an expiry that is not in the future", () => {
    for (const at of ["2026-11-29T10:00:00Z", "2026-11-29T09:59:59Z"]) {
      expect(issuesOf({ state: "disabled", expires_at: at })).toEqual([{ path: ["expires_at"], message: "expires_at must be in the future" }]);
    }
  });

  it("clipped needs confidence_max in [0, 1)", () => {
    expect(issuesOf({ state: "clipped" })).toEqual([{ path: ["confidence_max"], message: "clipped requires confidence_max in [0, 1)" }]);
    expect(issuesOf({ state: "clipped", confidence_max: null })).toEqual([{ path: ["confidence_max"], message: "clipped requires confidence_max in [0, 1)" }]);
    expect(issuesOf({ state: "clipped", confidence_max: 1 })).toEqual([{ path: ["confidence_max"], message: "confidence_max must be < 1 (a clip of 1 would not lower anything)" }]);
    expect(issuesOf({ state: "clipped", confidence_max: -0.1 })).toEqual([{ path: ["confidence_max"], message: "confidence_max must be ≥ 0" }]);
    expect(issuesOf({ state: "clipped", confidence_max: Number.NaN })).toEqual([{ path: ["confidence_max"], message: "confidence_max must be a number" }]);
  });

  it("TTP_REQUIRE_REASON: a reason to disable or clip, not to enable", () => {
    const policy = { requireReason: true, maxExpiryMs: null };
    for (const reason of [undefined, null, "", "   "]) {
      expect(issuesOf({ state: "disabled", reason }, policy)).toEqual([{ path: ["reason"], message: "reason is required to disable or clip a rule (TTP_REQUIRE_REASON)" }]);
    }
    expect(issuesOf({ state: "clipped", confidence_max: 0.2 }, policy).map((i) => i.path)).toEqual([["reason"]]);
    expect(resolveStateRequest({ state: "disabled", reason: "flood" }, policy, T0).ok).toBe(true);
    expect(resolveStateRequest({ state: "enabled" }, policy, T0).ok).toBe(true);
    expect(resolveStateRequest({ state: "disabled" }, NO_POLICY, T0).ok).toBe(true);
  });

  it("TTP_MAX_EXPIRY: an expiry is required and capped, as an instant or a duration (a minute of slack)", () => {
    const policy = { requireReason: false, maxExpiryMs: 24 * HOUR };
    expect(issuesOf({ state: "disabled" }, policy)).toEqual([{ path: ["expires_at"], message: "expires_at is required, at most 1d 0h from now (TTP_MAX_EXPIRY)" }]);
    expect(issuesOf({ state: "disabled", expires_at: null }, policy).map((i) => i.path)).toEqual([["expires_at"]]);
    const tooFar = { path: ["expires_at"], message: "expires_at must be at most 1d 0h from now (TTP_MAX_EXPIRY)" };
    expect(issuesOf({ state: "disabled", expires_at: "7d" }, policy)).toEqual([tooFar]);
    expect(issuesOf({ state: "disabled", expires_at: "2026-11-30T10:01:01Z" }, policy)).toEqual([tooFar]);
    expect(issuesOf({ state: "clipped", confidence_max: 0.1, expires_at: "25h" }, policy)).toEqual([tooFar]);
    expect(resolveStateRequest({ state: "disabled", expires_at: "24h" }, policy, T0).ok).toBe(true);
    expect(resolveStateRequest({ state: "disabled", expires_at: "2026-11-30T10:01:00Z" }, policy, T0).ok).toBe(true);
    // Enabling is never limited: it cannot switch a rule off.
    expect(resolveStateRequest({ state: "enabled" }, policy, T0).ok).toBe(true);
    expect(resolveStateRequest({ state: "enabled", expires_at: "30d" }, policy, T0).ok).toBe(true);
  });

  it("reports the semantic and policy problems of every field at once", () => {
    expect(issuesOf({ state: "clipped", expires_at: "2001-01-01T00:00:00Z", reason: " " }, strict)).toEqual([
      { path: ["confidence_max"], message: "clipped requires confidence_max in [0, 1)" },
      { path: ["expires_at"], message: "expires_at must be in the future" },
      { path: ["reason"], message: "reason is required to disable or clip a rule (TTP_REQUIRE_REASON)" },
    ]);
  });

  it("caps the reason at MAX_REASON_LENGTH characters", () => {
    expect(resolveStateRequest({ state: "disabled", reason: "x".repeat(MAX_REASON_LENGTH) }, NO_POLICY, T0).ok).toBe(true);
    expect(issuesOf({ state: "disabled", reason: "x".repeat(MAX_REASON_LENGTH + 1) })).toEqual([{ path: ["reason"], message: "reason must be at most 1000 characters" }]);
  });

  it("refuses set_by, set_at, unknown states and non-object bodies with the field's path", () => {
    expect(issuesOf({ state: "disabled", set_by: "mallory" })[0]?.message).toMatch(/set_by/);
    expect(issuesOf({ state: "disabled", set_at: "2026-11-29T10:00:00Z" })[0]?.message).toMatch(/set_at/);
    expect(issuesOf({ state: "off" })).toEqual([{ path: ["state"], message: 'state must be one of "enabled", "disabled", "clipped"' }]);
    expect(issuesOf({ state: "disabled", expires_at: 5 })[0]?.path).toEqual(["expires_at"]);
    for (const body of ["disabled", null, [], 3]) expect(issuesOf(body)[0]?.path).toEqual([]);
  });
});

describe("buildState and clearReason (the stores' own checks)", () => {
  it("buildState stamps set_by from the actor and set_at from the clock, and applies no policy", () => {
    expect(buildState("R1", { state: "disabled", reason: "flood" }, "ana", T0)).toEqual({
      state: "disabled",
      confidence_max: null,
      expires_at: null,
      reason: "flood",
      set_by: "ana",
      set_at: "2026-11-29T10:00:00.000Z",
    });
  });

  it("buildState throws a ValidationError with the rule id and the field path", () => {
    expect(thrown(() => buildState("R1", { state: "clipped", confidence_max: 1 }, "ana", T0)).issues).toEqual([
      { source: "R1", path: ["confidence_max"], line: 1, column: 1, message: "confidence_max must be < 1 (a clip of 1 would not lower anything)", severity: "error" },
    ]);
    expect(thrown(() => buildState("R1", null, "ana", T0)).issues[0]).toMatchObject({ source: "R1", path: [] });
    expect(thrown(() => buildState("R1", { state: "disabled" }, " ", T0)).issues[0]).toMatchObject({ path: ["set_by"], message: "actor must not be empty" });
  });

  it("clearReason keeps a reason up to the cap and refuses a longer one", () => {
    expect(clearReason("R1", undefined)).toBeNull();
    expect(clearReason("R1", "  ")).toBeNull();
    expect(clearReason("R1", " done ")).toBe("done");
    expect(clearReason("R1", "x".repeat(MAX_REASON_LENGTH))).toHaveLength(MAX_REASON_LENGTH);
    expect(thrown(() => clearReason("R1", "x".repeat(MAX_REASON_LENGTH + 1))).issues).toEqual([
      { source: "R1", path: ["reason"], line: 1, column: 1, message: "reason must be at most 1000 characters", severity: "error" },
    ]);
  });
});
