import { describe, expect, it } from "vitest";
import { buildState, clipConfidence, DEFAULT_STATE, effectiveState, isActive, type RuleState } from "./rule-state";

const T0 = Date.parse("2026-11-29T10:00:00Z");
const disabledUntil = (iso: string | null): RuleState => ({ state: "disabled", confidence_max: null, expires_at: iso, reason: "noisy", set_by: "ana", set_at: "2026-11-29T09:00:00.000Z" });

describe("effective state", () => {
  it("an expired state is exactly the default state, at the instant it expires", () => {
    const s = disabledUntil("2026-11-29T10:00:00.000Z");
    expect(effectiveState(s, T0 - 1)).toBe(s);
    expect(effectiveState(s, T0)).toEqual(DEFAULT_STATE);
    expect(isActive(s, T0 - 1)).toBe(false);
    // Upstream turned an expired disable into a permanent one; here the rule fires again.
    expect(isActive(s, T0)).toBe(true);
    expect(isActive(s, T0 + 86_400_000)).toBe(true);
  });

  it("without expiry a state holds forever; missing state is the default", () => {
    expect(isActive(disabledUntil(null), T0 + 1e12)).toBe(false);
    expect(effectiveState(null, T0)).toEqual(DEFAULT_STATE);
  });

  it("clips downward only, and only while clipped", () => {
    const clipped: RuleState = { ...disabledUntil(null), state: "clipped", confidence_max: 0.4 };
    expect(clipConfidence(0.9, clipped, T0)).toBe(0.4);
    expect(clipConfidence(0.2, clipped, T0)).toBe(0.2);
    expect(clipConfidence(0.9, { ...clipped, state: "enabled" }, T0)).toBe(0.9);
    expect(clipConfidence(0.9, { ...clipped, expires_at: "2026-11-29T09:59:59.999Z" }, T0)).toBe(0.9);
  });
});

describe("buildState (request → stored state)", () => {
  it("stamps set_by from the actor and set_at from the clock", () => {
    const r = buildState({ state: "disabled", reason: "flood" }, "ana", T0);
    expect(r).toEqual({ ok: true, state: { state: "disabled", confidence_max: null, expires_at: null, reason: "flood", set_by: "ana", set_at: "2026-11-29T10:00:00.000Z" } });
  });

  it("rejects set_by in the request body (the caller's identity is not negotiable)", () => {
    const r = buildState({ state: "disabled", set_by: "mallory" }, "ana", T0);
    expect(r.ok).toBe(false);
  });

  it("requires confidence_max in [0,1) for clipped", () => {
    expect(buildState({ state: "clipped" }, "a", T0).ok).toBe(false);
    expect(buildState({ state: "clipped", confidence_max: 1 }, "a", T0).ok).toBe(false);
    expect(buildState({ state: "clipped", confidence_max: -0.1 }, "a", T0).ok).toBe(false);
    const ok = buildState({ state: "clipped", confidence_max: 0 }, "a", T0);
    expect(ok.ok && ok.state.confidence_max).toBe(0);
  });

  it("enabled ignores confidence_max", () => {
    const r = buildState({ state: "enabled", confidence_max: 0.5 }, "a", T0);
    expect(r.ok && r.state.confidence_max).toBe(null);
  });

  it("requires expires_at in the future, with a time zone", () => {
    expect(buildState({ state: "disabled", expires_at: "2026-11-29T10:00:00Z" }, "a", T0).ok).toBe(false);
    expect(buildState({ state: "disabled", expires_at: "2026-11-29T11:00:00" }, "a", T0).ok).toBe(false);
    const r = buildState({ state: "disabled", expires_at: "2026-11-29T12:00:00+01:00" }, "a", T0);
    expect(r.ok && r.state.expires_at).toBe("2026-11-29T11:00:00.000Z");
  });

  it("rejects unknown states and non-object bodies with a message naming the fix", () => {
    const r = buildState({ state: "off" }, "a", T0);
    expect(!r.ok && r.issues[0]?.message).toMatch(/enabled.*disabled.*clipped/);
    expect(buildState("disabled", "a", T0).ok).toBe(false);
    expect(buildState(null, "a", T0).ok).toBe(false);
  });
});
