import { describe, expect, it } from "vitest";
import { clipConfidence, DEFAULT_STATE, effectiveState, isActive, type RuleState } from "./semantics";

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
