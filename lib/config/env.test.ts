import { describe, expect, it } from "vitest";
import { ConfigError, parseDashboardEnv, parseTtpEnv } from "./env";

describe("parseTtpEnv", () => {
  it("applies the defaults and ignores empty values", () => {
    expect(parseTtpEnv({ TTP_RULE_STORE: "" })).toMatchObject({ TTP_RULE_STORE: "database", DATABASE_URL: "file:./data/ttp.db", TTP_RULES_DIR: "./rules/ttp" });
  });
  it("names the allowed values of a bad setting", () => {
    expect(() => parseTtpEnv({ TTP_RULE_STORE: "redis" })).toThrow(/TTP_RULE_STORE must be one of: filesystem, database/);
  });
});

describe("parseDashboardEnv", () => {
  it("parses guardrails, durations and the port", () => {
    const env = parseDashboardEnv({ TTP_REQUIRE_REASON: "yes", TTP_MAX_EXPIRY: "7d", TTP_SESSION_TTL: "30m", PORT: "8080" });
    expect(env).toMatchObject({ TTP_REQUIRE_REASON: true, TTP_MAX_EXPIRY: 7 * 86_400_000, TTP_SESSION_TTL: 1_800_000, PORT: 8080, TTP_COOKIE_SECURE: "auto" });
    const defaults = parseDashboardEnv({});
    expect(defaults).toMatchObject({ TTP_REQUIRE_REASON: false, PORT: 3000, TTP_SESSION_TTL: 12 * 3_600_000 });
    expect(defaults.TTP_MAX_EXPIRY).toBeUndefined();
  });
  it.each([
    [{ TTP_MAX_EXPIRY: "forever" }, /TTP_MAX_EXPIRY: TTP_MAX_EXPIRY must be a positive duration like 30m, 24h or 7d \(got "forever"\)/],
    [{ TTP_REQUIRE_REASON: "maybe" }, /TTP_REQUIRE_REASON: must be true or false/],
    [{ PORT: "70000" }, /PORT: must be between 1 and 65535/],
    [{ PORT: "http" }, /PORT: must be a port number/],
    [{ TTP_COOKIE_SECURE: "sometimes" }, /TTP_COOKIE_SECURE must be auto, always or never/],
  ])("refuses %o with a message naming the variable", (env, message) => {
    expect(() => parseDashboardEnv(env)).toThrow(ConfigError);
    expect(() => parseDashboardEnv(env)).toThrow(message);
  });
});
