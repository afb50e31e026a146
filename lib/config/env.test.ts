import { describe, expect, it } from "vitest";
import { ConfigError, parseDashboardEnv, parseStatePolicyEnv, parseTtpEnv, statePolicyOf } from "./env";

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
  it("reads TTP_TRUST_PROXY as the number of trusted reverse proxies: false = 0, true = 1, or n", () => {
    expect(parseDashboardEnv({}).TTP_TRUST_PROXY).toBe(0);
    expect(parseDashboardEnv({ TTP_TRUST_PROXY: "false" }).TTP_TRUST_PROXY).toBe(0);
    expect(parseDashboardEnv({ TTP_TRUST_PROXY: "true" }).TTP_TRUST_PROXY).toBe(1);
    expect(parseDashboardEnv({ TTP_TRUST_PROXY: "TRUE" }).TTP_TRUST_PROXY).toBe(1);
    expect(parseDashboardEnv({ TTP_TRUST_PROXY: "2" }).TTP_TRUST_PROXY).toBe(2);
  });
  it.each([
    [{ TTP_MAX_EXPIRY: "forever" }, /TTP_MAX_EXPIRY: TTP_MAX_EXPIRY must be a positive duration like 30m, 24h or 7d \(got "forever"\)/],
    [{ TTP_REQUIRE_REASON: "maybe" }, /TTP_REQUIRE_REASON: must be true or false/],
    [{ PORT: "70000" }, /PORT: must be between 1 and 65535/],
    [{ PORT: "http" }, /PORT: must be a port number/],
    [{ TTP_COOKIE_SECURE: "sometimes" }, /TTP_COOKIE_SECURE must be auto, always or never/],
    [{ TTP_TRUST_PROXY: "yes" }, /TTP_TRUST_PROXY: must be false, true \(one reverse proxy\) or the number of reverse proxies in front of the dashboard, a positive integer \(got "yes"\)/],
    [{ TTP_TRUST_PROXY: "0" }, /TTP_TRUST_PROXY: must be false, true/],
    [{ TTP_TRUST_PROXY: "-1" }, /TTP_TRUST_PROXY: must be false, true/],
    [{ TTP_TRUST_PROXY: "1.5" }, /TTP_TRUST_PROXY: must be false, true/],
  ])("refuses %o with a message naming the variable", (env, message) => {
    expect(() => parseDashboardEnv(env)).toThrow(ConfigError);
    expect(() => parseDashboardEnv(env)).toThrow(message);
  });
});

describe("parseStatePolicyEnv (the CLI's state policy)", () => {
  it("reads TTP_REQUIRE_REASON and TTP_MAX_EXPIRY exactly as the dashboard does", () => {
    const vars = { TTP_REQUIRE_REASON: "yes", TTP_MAX_EXPIRY: "7d", PORT: "not read here" };
    expect(parseStatePolicyEnv(vars)).toEqual({ requireReason: true, maxExpiryMs: 7 * 86_400_000 });
    expect(parseStatePolicyEnv({})).toEqual({ requireReason: false, maxExpiryMs: null });
    expect(statePolicyOf(parseDashboardEnv({ TTP_REQUIRE_REASON: "yes", TTP_MAX_EXPIRY: "7d" }))).toEqual(parseStatePolicyEnv(vars));
    expect(() => parseStatePolicyEnv({ TTP_MAX_EXPIRY: "forever" })).toThrow(ConfigError);
    expect(() => parseStatePolicyEnv({ TTP_MAX_EXPIRY: "forever" })).toThrow(/TTP_MAX_EXPIRY: TTP_MAX_EXPIRY must be a positive duration/);
  });
});
