import { describe, expect, it } from "vitest";
import { resolveStateForm } from "./state-input";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const open = { requireReason: false, maxExpiryMs: undefined };

describe("resolveStateForm", () => {
  it("resolves a preset expiry from now, trims the reason and drops the ceiling unless clipped", () => {
    expect(resolveStateForm({ state: "disabled", confidenceMax: "0.4", expires: "4h", reason: "  noisy  " }, open, NOW)).toEqual({
      ok: true,
      input: { state: "disabled", confidence_max: null, expires_at: "2026-03-01T16:00:00.000Z", reason: "noisy" },
    });
    expect(resolveStateForm({ state: "clipped", confidenceMax: "0.3", expires: "never", reason: "" }, open, NOW)).toEqual({
      ok: true,
      input: { state: "clipped", confidence_max: 0.3, expires_at: null, reason: null },
    });
  });

  it("reports every bad field at once", () => {
    const r = resolveStateForm({ state: "clipped", confidenceMax: "1.5", expires: "2026-03-01T11:00:00Z", reason: " " }, { requireReason: true, maxExpiryMs: undefined }, NOW);
    expect(r).toEqual({
      ok: false,
      fieldErrors: { confidenceMax: "Enter a ceiling between 0 and 0.99.", expires: "The expiry must be in the future.", reason: "A reason is required." },
    });
  });

  it("applies TTP_MAX_EXPIRY: an expiry is required and capped (a minute of slack for the form's clock)", () => {
    const guard = { requireReason: false, maxExpiryMs: 24 * 3_600_000 };
    expect(resolveStateForm({ state: "disabled", expires: "never" }, guard, NOW)).toEqual({ ok: false, fieldErrors: { expires: "An expiry is required (at most 1d 0h from now)." } });
    expect(resolveStateForm({ state: "disabled", expires: "7d" }, guard, NOW)).toEqual({ ok: false, fieldErrors: { expires: "The expiry can be at most 1d 0h from now." } });
    expect(resolveStateForm({ state: "disabled", expires: "24h" }, guard, NOW).ok).toBe(true);
  });

  it("explains an unreadable expiry", () => {
    const r = resolveStateForm({ state: "disabled", expires: "tomorrow" }, open, NOW);
    expect(r.ok === false && r.fieldErrors.expires).toMatch(/^The expiry must be a duration like 90s, 30m, 2h, 7d or an ISO-8601 instant/);
  });
});
