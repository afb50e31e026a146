import { describe, expect, it } from "vitest";
import { identitySpecs } from "../../rules/analyzers/identity";
import { identityAnalyzers } from "./identity";
import { testContext } from "./testing/context";
import { SKIP, type Payload } from "./types";

const ctxFor = testContext;

const KIND = "lifter:identity_password_spraying";

function analyzer(params: Record<string, unknown> = {}, evidenceFields: readonly string[] = []) {
  const spec = identitySpecs.find((s) => s.kind === KIND);
  const a = identityAnalyzers.find((x) => x.kind === KIND);
  if (!spec || !a) throw new Error(`no ${KIND}`);
  const config = a.prepare(spec.params.parse(params));
  return (payload: Payload) => a.evaluate(config, payload, ctxFor(evidenceFields, payload));
}

describe("lifter:identity_password_spraying", () => {
  it("is the identity family's only kind, anchored on the identity", () => {
    expect(identitySpecs.map((s) => [s.kind, s.family])).toEqual([[KIND, "identity"]]);
    expect(identityAnalyzers.map((a) => [a.kind, a.family, a.anchor])).toEqual([[KIND, "identity", "identity"]]);
  });

  it("defaults account_threshold to upstream's code default 1 and refuses a non-int", () => {
    const spec = identitySpecs[0];
    expect(spec?.params.parse({})).toEqual({ account_threshold: 1 });
    expect(spec?.params.safeParse({ account_threshold: 2.5 }).success).toBe(false);
    expect(spec?.params.safeParse({ account_threshold: "3" }).success).toBe(false);
  });

  it("fires at account_count >= account_threshold (≥, not >)", () => {
    const run = analyzer({ account_threshold: 3 }, ["shared_password_hash", "account_count"]);
    expect(run({ shared_password_hash: "h", account_count: 3 })).toEqual({ evidence: { shared_password_hash: "h", account_count: 3 } });
    expect(run({ shared_password_hash: "h", account_count: 2 })).toBeNull();
    const byDefault = analyzer();
    expect(byDefault({ shared_password_hash: "h", account_count: 1 })).toEqual({ evidence: { shared_password_hash: "h", account_count: 1 } });
    expect(byDefault({ shared_password_hash: "h", account_count: 0 })).toBeNull();
  });

  it("overlays computed values on copied evidence", () => {
    const run = analyzer({ account_threshold: 3 }, ["shared_password_hash", "account_count", "accounts"]);
    expect(run({ shared_password_hash: "h", account_count: 4, accounts: ["a", "b"] })).toEqual({
      evidence: { shared_password_hash: "h", account_count: 4, accounts: ["a", "b"] },
    });
  });

  it("missing or empty hash → null, ill-typed → SKIP", () => {
    const run = analyzer({ account_threshold: 3 });
    expect(run({})).toBeNull();
    expect(run({ account_count: 9 })).toBeNull();
    expect(run({ shared_password_hash: "", account_count: 9 })).toBeNull();
    expect(run({ shared_password_hash: "h", account_count: null })).toBeNull();
    expect(run({ shared_password_hash: "h", account_count: "9" })).toBe(SKIP);
    expect(run({ shared_password_hash: "h", account_count: true })).toBe(SKIP);
    expect(run({ shared_password_hash: 42, account_count: 9 })).toBe(SKIP);
  });
});
