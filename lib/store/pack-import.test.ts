import { afterEach, describe, expect, it } from "vitest";
import type { RuleFile } from "../rules/rule-files";
import { DatabaseRuleStore } from "./database-store";
import { applyPackImport, previewPackImport, type PackImportPlan, type PackImportPreview } from "./pack-import";
import { validRuleYaml } from "./testing/fixtures";

const stores: DatabaseRuleStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function storeWith(rules: Record<string, string>): Promise<DatabaseRuleStore> {
  const s = new DatabaseRuleStore();
  stores.push(s);
  for (const text of Object.values(rules)) await s.upsertRule(text, { actor: "seed", origin: "filesystem" });
  return s;
}

function pack(rules: Record<string, string>): Map<string, RuleFile> {
  return new Map(Object.entries(rules).map(([id, text]) => [id, { path: `pack/${id}.yaml`, text }]));
}

async function previewOf(store: DatabaseRuleStore, files: Map<string, RuleFile>, deleteMissing: boolean): Promise<PackImportPreview> {
  return previewPackImport(files, await store.listRules(), { deleteMissing });
}

function planOf(p: PackImportPreview): PackImportPlan {
  const expected = new Map<string, number>();
  for (const a of p.add) expected.set(a.ruleId, 0);
  for (const c of p.change) expected.set(c.ruleId, c.revision);
  for (const u of p.unchanged) expected.set(u.ruleId, u.revision);
  return { expected, deletes: new Map(p.delete.map((d) => [d.ruleId, d.revision])) };
}

const A = validRuleYaml("A");
const B = validRuleYaml("B");
const C = validRuleYaml("C");
const B2 = validRuleYaml("B", { description: "uname, now with -r", confidence: 0.7 });

describe("previewPackImport", () => {
  it("sorts the pack into add / change (with a line diff) / unchanged, and deletes only when asked", async () => {
    const s = await storeWith({ A, B, C });
    const files = pack({ A, B: B2, N: validRuleYaml("N") });

    const p = await previewOf(s, files, false);
    expect(p.add).toEqual([{ ruleId: "N", file: "pack/N.yaml" }]);
    expect(p.unchanged).toEqual([{ ruleId: "A", file: "pack/A.yaml", revision: 1 }]);
    expect(p.delete).toEqual([]);
    expect(p.change).toHaveLength(1);
    const change = p.change[0];
    expect(change).toMatchObject({ ruleId: "B", revision: 1, added: 2, removed: 2, diffTruncated: false });
    expect(change?.diff?.filter((l) => l.type !== "context" && l.type !== "skipped")).toEqual([
      { type: "removed", text: "description: uname and friends" },
      { type: "added", text: "description: uname, now with -r" },
      { type: "removed", text: "    confidence: 0.6" },
      { type: "added", text: "    confidence: 0.7" },
    ]);

    expect((await previewOf(s, files, true)).delete).toEqual([{ ruleId: "C", revision: 1 }]);
    // Nothing is written by a preview.
    expect((await s.listRules()).map((r) => [r.ruleId, r.revision])).toEqual([
      ["A", 1],
      ["B", 1],
      ["C", 1],
    ]);
  });

  it("gives diffs to the first changed rules only and cuts long ones", async () => {
    const s = await storeWith({ A, B });
    const long = validRuleYaml("A", { extra: Array.from({ length: 100 }, (_, i) => `x_${i}: ${i}`).join("\n") });
    const p = previewPackImport(pack({ A: long, B: B2 }), await s.listRules(), { deleteMissing: false, maxDiffs: 1, maxDiffLines: 10 });
    expect(p.change.map((c) => [c.ruleId, c.added, c.diff?.length ?? null, c.diffTruncated])).toEqual([
      ["A", 100, 10, true],
      ["B", 2, null, false],
    ]);
  });
});

describe("applyPackImport", () => {
  it("adds, changes and deletes as previewed, one change each, origin import, actor recorded", async () => {
    const s = await storeWith({ A, B, C });
    const files = pack({ A, B: B2, N: validRuleYaml("N") });
    const head = await s.headSeq();
    const results = await applyPackImport(s, files, planOf(await previewOf(s, files, true)), { actor: "alice", sourceName: "pack.zip", deleteReason: "not in pack.zip" });

    expect(results.map((r) => [r.ruleId, r.outcome, r.revision])).toEqual([
      ["A", "unchanged", 1],
      ["B", "changed", 2],
      ["N", "added", 1],
      ["C", "deleted", null],
    ]);
    const b = await s.getRule("B");
    expect(b).toMatchObject({ yamlText: B2, origin: "import", updatedBy: "alice", sourcePath: "pack.zip:pack/B.yaml" });
    expect((await s.getRule("A")).origin).toBe("filesystem");
    const log = (await s.history({ limit: 10 })).filter((c) => c.seq > head).reverse();
    expect(log.map((c) => [c.ruleId, c.kind, c.actor])).toEqual([
      ["B", "definition", "alice"],
      ["N", "definition", "alice"],
      ["C", "deleted", "alice"],
    ]);
    expect(log[2]?.reason).toBe("not in pack.zip");
  });

  it("refuses to overwrite a rule edited (or created) since the preview, and applies the rest", async () => {
    const s = await storeWith({ A, B });
    const files = pack({ A: validRuleYaml("A", { confidence: 0.9 }), B: B2, N: validRuleYaml("N") });
    const plan = planOf(await previewOf(s, files, true));

    // Meanwhile another operator edits A and creates N.
    const edited = validRuleYaml("A", { description: "edited meanwhile" });
    await s.upsertRule(edited, { actor: "bob", expectedRevision: 1 });
    await s.upsertRule(validRuleYaml("N", { confidence: 0.1 }), { actor: "bob" });

    const results = await applyPackImport(s, files, plan, { actor: "alice" });
    expect(results.map((r) => [r.ruleId, r.outcome])).toEqual([
      ["A", "conflict"],
      ["B", "changed"],
      ["N", "conflict"],
    ]);
    expect(results[0]?.message).toMatch(/revision 2, not 1/);
    expect((await s.getRule("A")).yamlText).toBe(edited);
    expect((await s.getRule("B")).yamlText).toBe(B2);
  });

  it("does not delete a rule changed since the preview, nor one that was not previewed", async () => {
    const s = await storeWith({ A, B, C });
    const files = pack({ A });
    const plan = planOf(await previewOf(s, files, true));
    await s.upsertRule(validRuleYaml("B", { confidence: 0.2 }), { actor: "bob" });
    await s.upsertRule(validRuleYaml("D"), { actor: "bob" });

    const results = await applyPackImport(s, files, plan, { actor: "alice" });
    expect(results.map((r) => [r.ruleId, r.outcome])).toEqual([
      ["A", "unchanged"],
      ["B", "conflict"],
      ["C", "deleted"],
    ]);
    expect((await s.listRules()).map((r) => r.ruleId)).toEqual(["A", "B", "D"]);
  });
});
