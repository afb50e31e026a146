import { describe, expect, it } from "vitest";
import { formatDuration, parseDurationMs, resolveExpires } from "./durations";

const NOW = Date.parse("2026-11-29T10:00:00Z");

describe("durations", () => {
  it("parses 90s, 30m, 2h, 7d and nothing else", () => {
    expect([parseDurationMs("90s"), parseDurationMs("30m"), parseDurationMs(" 2h "), parseDurationMs("7d")]).toEqual([90_000, 1_800_000, 7_200_000, 604_800_000]);
    expect([parseDurationMs("2 h"), parseDurationMs("1.5h"), parseDurationMs("-1h"), parseDurationMs("h"), parseDurationMs("2w")]).toEqual([null, null, null, null, null]);
  });
  it("resolves a duration from now and an instant with a zone", () => {
    expect(resolveExpires("1h", NOW)).toEqual({ ok: true, expiresAt: "2026-11-29T11:00:00.000Z" });
    expect(resolveExpires("2026-12-01T09:00:00+01:00", NOW)).toEqual({ ok: true, expiresAt: "2026-12-01T08:00:00.000Z" });
  });
  it("refuses a zero duration and an instant without a zone with what to write instead", () => {
    expect(resolveExpires("0m", NOW)).toEqual({ ok: false, message: "must be a positive duration" });
    const r = resolveExpires("2026-12-01T09:00:00", NOW);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/with a zone like 2026-12-01T09:00:00Z/);
  });
  it("formats countdowns compactly", () => {
    expect([formatDuration(45_000), formatDuration(12 * 60_000 + 5_000), formatDuration(3 * 3_600_000 + 5 * 60_000), formatDuration(2 * 86_400_000 + 4 * 3_600_000), formatDuration(-5)]).toEqual([
      "45s",
      "12m 5s",
      "3h 5m",
      "2d 4h",
      "0s",
    ]);
  });
});
