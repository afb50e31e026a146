import { afterEach, describe, expect, it } from "vitest";
import { NotFoundError, TtpError } from "../errors";
import { clearRuleStates, setRuleStates } from "./bulk-state";
import { DatabaseRuleStore } from "./database-store";
import { validRuleYaml } from "./testing/fixtures";
import type { RuleStore } from "./types";

const stores: DatabaseRuleStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function storeWith(ids: string[]): Promise<DatabaseRuleStore> {
  const s = new DatabaseRuleStore();
  stores.push(s);
  for (const id of ids) await s.upsertRule(validRuleYaml(id), { actor: "test" });
  return s;
}

const inAnHour = (): string => new Date(Date.now() + 3_600_000).toISOString();

describe("setRuleStates", () => {
  it("writes one state change per rule with the same input and reports an unknown id as failed", async () => {
    const s = await storeWith(["A1", "A2", "A3"]);
    const expires = inAnHour();
    const out = await setRuleStates(s, ["A1", "NOPE", "A2", "A3"], { state: "disabled", expires_at: expires, reason: "noisy" }, "alice");

    expect(out.map((o) => [o.ruleId, o.status])).toEqual([
      ["A1", "done"],
      ["NOPE", "failed"],
      ["A2", "done"],
      ["A3", "done"],
    ]);
    const failed = out[1];
    expect(failed?.status === "failed" && failed.error).toBeInstanceOf(NotFoundError);
    const changes = (await s.history({ kind: "state", limit: 10 })).reverse();
    expect(changes.map((c) => c.ruleId)).toEqual(["A1", "A2", "A3"]);
    for (const c of changes) {
      expect(c).toMatchObject({ actor: "alice", reason: "noisy" });
      expect(c.after).toMatchObject({ state: "disabled", expires_at: expires });
    }
  });

  it("reports a store-level failure once and skips the remaining rules", async () => {
    const calls: string[] = [];
    const broken = {
      async setState(ruleId: string) {
        calls.push(ruleId);
        throw new TtpError("BUSY", "database is locked");
      },
    } as unknown as RuleStore;
    const out = await setRuleStates(broken, ["A1", "A2", "A3"], { state: "disabled" }, "alice");
    expect(calls).toEqual(["A1"]);
    expect(out.map((o) => o.status)).toEqual(["failed", "skipped", "skipped"]);
  });
});

describe("clearRuleStates", () => {
  it("clears changed rules, leaves default ones unwritten and tells unknown ids apart", async () => {
    const s = await storeWith(["B1", "B2"]);
    await s.setState("B1", { state: "disabled", reason: "x" }, "alice");
    const headBefore = await s.headSeq();

    const out = await clearRuleStates(s, ["B1", "B2", "B9"], "bob", "fixed");

    expect(out.map((o) => [o.ruleId, o.status])).toEqual([
      ["B1", "done"],
      ["B2", "unchanged"],
      ["B9", "failed"],
    ]);
    expect(await s.getState("B1")).toMatchObject({ state: "enabled", reason: null });
    const written = (await s.history({ limit: 10 })).filter((c) => c.seq > headBefore);
    expect(written.map((c) => [c.ruleId, c.actor, c.reason])).toEqual([["B1", "bob", "fixed"]]);
  });
});
