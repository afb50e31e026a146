import { afterEach, describe, expect, it } from "vitest";
import { DatabaseRuleStore } from "../../lib/store/database-store";
import { validRuleYaml } from "../../lib/store/testing/fixtures";
import { fromCompactRows, type RowsPayload } from "./rule-row";
import { RuleListCache, type RuleListBodies } from "./rule-row-cache";

const T0 = Date.parse("2026-12-05T10:00:00Z");
const stores: DatabaseRuleStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function storeWith(ids: string[], clock: () => number = () => T0): Promise<DatabaseRuleStore> {
  const store = new DatabaseRuleStore({ expiry: false, clock });
  stores.push(store);
  for (const id of ids) await store.upsertRule(validRuleYaml(id, { description: `about ${id}` }), { actor: "t" });
  return store;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const rowsOf = (b: RuleListBodies) => fromCompactRows(JSON.parse(text(b.rows)) as RowsPayload);

describe("RuleListCache", () => {
  it("serves the same bodies while the feed's head stays, from one listRules", async () => {
    const store = await storeWith(["R2", "R1"]);
    const cache = new RuleListCache(store, () => T0);
    const a = await cache.bodies();
    const b = await cache.bodies();
    expect(b).toBe(a);
    expect(cache.counts).toEqual({ loads: 1, patches: 0, reserialised: 0 });
    expect(rowsOf(a).map((r) => r.ruleId)).toEqual(["R1", "R2"]);
    expect(JSON.parse(text(a.descriptions))).toEqual({ R1: "about R1", R2: "about R2" });
    expect((JSON.parse(text(a.rows)) as RowsPayload).seq).toBe(await store.headSeq());
  });

  it("after changes reads only the rules the feed names, and equals a fresh listRules", async () => {
    const store = await storeWith(["R1", "R2", "R4"]);
    const cache = new RuleListCache(store, () => T0);
    await cache.bodies();
    await store.setState("R1", { state: "disabled", reason: "noisy" }, "ana");
    await store.upsertRule(validRuleYaml("R3", { description: "new one" }), { actor: "ana" });
    await store.upsertRule(validRuleYaml("R4", { name: "renamed", description: "changed" }), { actor: "ana" });
    await store.deleteRule("R2", { actor: "ana" });
    const patched = await cache.bodies();
    expect(cache.counts).toEqual({ loads: 1, patches: 1, reserialised: 0 });
    const fresh = await new RuleListCache(store, () => T0).bodies();
    expect(text(patched.rows)).toBe(text(fresh.rows));
    expect(text(patched.descriptions)).toBe(text(fresh.descriptions));
    expect(rowsOf(patched).map((r) => [r.ruleId, r.name, r.state.state])).toEqual([
      ["R1", "system_info_discovery", "disabled"],
      ["R3", "system_info_discovery", "enabled"],
      ["R4", "renamed", "enabled"],
    ]);
  });

  it("makes new bodies when a state expires, as listRules then returns the default state", async () => {
    let now = T0;
    const store = await storeWith(["R1"], () => now);
    const cache = new RuleListCache(store, () => now);
    await store.setState("R1", { state: "disabled", reason: "for an hour", expires_at: new Date(T0 + 3_600_000).toISOString() }, "ana");
    expect(rowsOf(await cache.bodies())[0]?.state.state).toBe("disabled");
    now = T0 + 3_600_000;
    const after = await cache.bodies();
    expect(cache.counts).toEqual({ loads: 1, patches: 0, reserialised: 1 });
    expect(rowsOf(after)[0]?.state).toEqual(rowsOf(await new RuleListCache(store, () => now).bodies())[0]?.state);
    expect(rowsOf(after)[0]?.state.state).toBe("enabled");
  });

  it("reads every rule again after more changes than it patches", async () => {
    const store = await storeWith(["R1"]);
    const cache = new RuleListCache(store, () => T0);
    await cache.bodies();
    for (let i = 0; i < 501; i++) await store.setState("R1", { state: i % 2 ? "disabled" : "clipped", confidence_max: 0.3, reason: `n${i}` }, "ana");
    const after = await cache.bodies();
    expect(cache.counts.loads).toBe(2);
    expect(text(after.rows)).toBe(text((await new RuleListCache(store, () => T0).bodies()).rows));
  });
});
