import { describe, expect, it } from "vitest";
import { credentialSpecs } from "../../rules/analyzers/credential";
import { credentialAnalyzers } from "./credential";
import { testContext } from "./testing/context";
import { SKIP, type Payload } from "./types";

const ctxFor = testContext;

/** Parses params through the kind's schema (defaults applied), prepares, and returns an evaluator. */
function analyzer(kind: string, params: Record<string, unknown> = {}, evidenceFields: readonly string[] = []) {
  const spec = credentialSpecs.find((s) => s.kind === kind);
  const a = credentialAnalyzers.find((x) => x.kind === kind);
  if (!spec || !a) throw new Error(`no ${kind}`);
  const config = a.prepare(spec.params.parse(params));
  return (payload: Payload) => a.evaluate(config, payload, ctxFor(evidenceFields, payload));
}

describe("credential specs", () => {
  it("lists the five kinds, one analyzer each, family credential", () => {
    expect(credentialSpecs.map((s) => s.kind)).toEqual([
      "lifter:credential_auth_brute_generic",
      "lifter:credential_password_guessing",
      "lifter:credential_reuse",
      "lifter:credential_valid_account_use",
      "lifter:credential_default_credentials",
    ]);
    expect(credentialAnalyzers.map((a) => a.kind)).toEqual(credentialSpecs.map((s) => s.kind));
    for (const s of credentialSpecs) expect(s.family).toBe("credential");
    for (const a of credentialAnalyzers) expect(a.anchor).toBeUndefined();
  });

  it("applies upstream's code defaults and keeps unknown keys", () => {
    const [brute, guess, , valid, defaults] = credentialSpecs;
    expect(brute?.params.parse({})).toEqual({ fail_threshold: 5 });
    expect(brute?.params.parse({ window_minutes: 5, other: 1 })).toEqual({ fail_threshold: 5, window_minutes: 5, other: 1 });
    expect(guess?.params.parse({})).toEqual({ pw_threshold: 5 });
    expect(valid?.params.parse({})).toEqual({ require_prior_brute: false });
    expect(defaults?.params.parse({})).toEqual({ pairs: [] });
  });

  it("refuses ill-typed parameters", () => {
    const [brute, guess, , valid, defaults] = credentialSpecs;
    expect(brute?.params.safeParse({ fail_threshold: 5.5 }).success).toBe(false);
    expect(brute?.params.safeParse({ fail_threshold: "5" }).success).toBe(false);
    expect(guess?.params.safeParse({ pw_threshold: true }).success).toBe(false);
    expect(valid?.params.safeParse({ require_prior_brute: 1 }).success).toBe(false);
    for (const pairs of [[["root"]], [["a", "b", "c"]], [["root", 1]], ["root:root"], "root"]) {
      const r = defaults?.params.safeParse({ pairs });
      expect(r?.success).toBe(false);
    }
    const r = defaults?.params.safeParse({ pairs: [["root", "root"], ["admin"]] });
    expect(r?.success ? [] : r?.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["pairs.1", "each pair must be a list of exactly 2 strings: [username, password]"],
    ]);
  });
});

describe("lifter:credential_auth_brute_generic", () => {
  const run = analyzer("lifter:credential_auth_brute_generic", {}, ["fail_count", "service"]);

  it("fires at fail_count >= 5 (default), not below", () => {
    expect(run({ fail_count: 5, service: "ssh" })).toEqual({ evidence: { fail_count: 5, service: "ssh" } });
    expect(run({ fail_count: 12 })).toEqual({ evidence: { fail_count: 12 } });
    expect(run({ fail_count: 4, service: "ssh" })).toBeNull();
  });

  it("honours fail_threshold", () => {
    const r = analyzer("lifter:credential_auth_brute_generic", { fail_threshold: 2 });
    expect(r({ fail_count: 2 })).toEqual({ evidence: { fail_count: 2 } });
    expect(r({ fail_count: 1 })).toBeNull();
  });

  it("missing → null, ill-typed → SKIP (booleans and numeric strings are not ints)", () => {
    expect(run({})).toBeNull();
    expect(run({ fail_count: null })).toBeNull();
    expect(run({ username: "root", service: "ssh", result: "fail", tool: "hydra" })).toBeNull();
    expect(run({ fail_count: "12" })).toBe(SKIP);
    expect(run({ fail_count: true })).toBe(SKIP);
    expect(run({ fail_count: 12.5 })).toBe(SKIP);
    expect(run({ fail_count: 12.0 })).toEqual({ evidence: { fail_count: 12 } });
  });

  it("keeps a copied non-string service raw, adds only a non-empty string service", () => {
    expect(run({ fail_count: 9, service: 22 })).toEqual({ evidence: { fail_count: 9, service: 22 } });
    expect(analyzer("lifter:credential_auth_brute_generic")({ fail_count: 9, service: 22 })).toEqual({ evidence: { fail_count: 9 } });
    expect(analyzer("lifter:credential_auth_brute_generic")({ fail_count: 9, service: "" })).toEqual({ evidence: { fail_count: 9 } });
  });

  it("reads own properties only", () => {
    const payload = Object.create({ fail_count: 50 }) as Payload;
    expect(run(payload)).toBeNull();
  });
});

describe("lifter:credential_password_guessing", () => {
  const run = analyzer("lifter:credential_password_guessing", {}, ["username", "password_count"]);

  it("fires at password_count >= pw_threshold with a username", () => {
    expect(run({ username: "admin", password_count: 5 })).toEqual({ evidence: { username: "admin", password_count: 5 } });
    expect(run({ username: "admin", password_count: 4 })).toBeNull();
    expect(analyzer("lifter:credential_password_guessing", { pw_threshold: 10 })({ username: "a", password_count: 9 })).toBeNull();
  });

  it("missing or empty username → null, ill-typed → SKIP", () => {
    expect(run({ password_count: 50 })).toBeNull();
    expect(run({ username: "", password_count: 50 })).toBeNull();
    expect(run({ username: "admin" })).toBeNull();
    expect(run({ username: 7, password_count: 50 })).toBe(SKIP);
    expect(run({ username: "admin", password_count: "50" })).toBe(SKIP);
    expect(run({ username: "admin", password_count: false })).toBe(SKIP);
  });
});

describe("lifter:credential_reuse", () => {
  const run = analyzer("lifter:credential_reuse", {}, ["credential_hash", "reuse_count"]);

  it("fires at reuse_count >= 1 (hard-coded), not at 0", () => {
    expect(run({ credential_hash: "abc", reuse_count: 1 })).toEqual({ evidence: { credential_hash: "abc", reuse_count: 1 } });
    expect(run({ credential_hash: "abc", reuse_count: 0 })).toBeNull();
  });

  it("missing or empty hash → null, ill-typed → SKIP", () => {
    expect(run({ reuse_count: 3 })).toBeNull();
    expect(run({ credential_hash: "", reuse_count: 3 })).toBeNull();
    expect(run({ credential_hash: "abc" })).toBeNull();
    expect(run({ credential_hash: ["abc"], reuse_count: 3 })).toBe(SKIP);
    expect(run({ credential_hash: "abc", reuse_count: true })).toBe(SKIP);
  });
});

describe("lifter:credential_valid_account_use", () => {
  it('fires on result exactly "success" without prior brute by default', () => {
    const run = analyzer("lifter:credential_valid_account_use", {}, ["username", "service"]);
    expect(run({ result: "success", username: "root", service: "ssh" })).toEqual({ evidence: { username: "root", service: "ssh" } });
    expect(run({ result: "Success", username: "root" })).toBeNull();
    expect(run({ result: "fail", username: "root" })).toBeNull();
    expect(run({ username: "root" })).toBeNull();
    expect(run({ result: 1 })).toBe(SKIP);
  });

  it("with require_prior_brute (DECNET's YAML), needs prior_brute === true", () => {
    const run = analyzer("lifter:credential_valid_account_use", { require_prior_brute: true }, ["username", "service"]);
    expect(run({ result: "success", username: "root", prior_brute: true })).toEqual({ evidence: { username: "root" } });
    expect(run({ result: "success", username: "root" })).toBeNull();
    expect(run({ result: "success", prior_brute: false })).toBeNull();
    expect(run({ result: "success", prior_brute: "true" })).toBe(SKIP);
    expect(run({ result: "success", prior_brute: 1 })).toBe(SKIP);
    expect(run({ result: "Success", prior_brute: true })).toBeNull();
  });

  it("does not read prior_brute when not required", () => {
    const run = analyzer("lifter:credential_valid_account_use");
    expect(run({ result: "success", prior_brute: "yes" })).toEqual({ evidence: {} });
  });
});

describe("lifter:credential_default_credentials", () => {
  const DECNET_PAIRS = [
    ["root", "root"],
    ["admin", "admin"],
    ["admin", "password"],
    ["root", ""],
    ["pi", "raspberry"],
  ];
  const run = analyzer("lifter:credential_default_credentials", { pairs: DECNET_PAIRS }, ["username", "service"]);

  it("fires on an exact pair, including root with an empty password; never emits the password", () => {
    expect(run({ username: "root", password: "", service: "ssh" })).toEqual({ evidence: { username: "root", service: "ssh" } });
    expect(run({ username: "pi", password: "raspberry" })).toEqual({ evidence: { username: "pi" } });
    expect(run({ username: "admin", password: "password", service: "telnet" })).toEqual({ evidence: { username: "admin", service: "telnet" } });
  });

  it("is case-sensitive and exact", () => {
    expect(run({ username: "Root", password: "root" })).toBeNull();
    expect(run({ username: "root", password: "toor" })).toBeNull();
    expect(run({ username: "root", password: " " })).toBeNull();
  });

  it("never fires with the code default (no pairs)", () => {
    expect(analyzer("lifter:credential_default_credentials")({ username: "root", password: "root" })).toBeNull();
  });

  it("missing → null, ill-typed → SKIP", () => {
    expect(run({ username: "root" })).toBeNull();
    expect(run({ password: "" })).toBeNull();
    expect(run({ username: "root", password: 123 })).toBe(SKIP);
    expect(run({ username: ["root"], password: "root" })).toBe(SKIP);
  });
});
