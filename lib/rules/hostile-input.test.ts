// The hostile-input corpus (lib/rules/testing/hostile-drafts.ts) against every place a rule text
// enters: parseRule answers with positioned issues and never throws, a store refuses the draft and
// writes nothing, a rules directory with a bomb in it still serves its other rules, and
// `ttp validate` reports the file and carries on. CPU figures are in `npm run bench -- hostile`.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTtpError } from "../errors";
import { DatabaseRuleStore } from "../store/database-store";
import { FilesystemRuleStore } from "../store/filesystem-store";
import { parseRule } from "./parse-rule";
import { HOSTILE_DRAFTS } from "./testing/hostile-drafts";
import { ruleYaml } from "./testing/fixtures";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ttp-hostile-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("hostile rule texts", () => {
  it("parseRule answers every one with a rule or positioned errors, never a throw", () => {
    for (const d of HOSTILE_DRAFTS) {
      const r = parseRule(d.yaml(), { source: d.name });
      if (r.rule === null) {
        const errors = r.issues.filter((i) => i.severity === "error");
        expect(errors.length, d.name).toBeGreaterThan(0);
        for (const e of errors) {
          expect(e.line, d.name).toBeGreaterThanOrEqual(1);
          expect(e.column, d.name).toBeGreaterThanOrEqual(1);
          expect(e.message.length, d.name).toBeGreaterThan(0);
        }
      }
    }
  });

  it("a store refuses each refused draft with a validation error and writes nothing", async () => {
    const store = new DatabaseRuleStore();
    try {
      await store.upsertRule(ruleYaml("R1"), { actor: "seed" });
      const before = JSON.stringify(await store.listRules());
      const head = await store.headSeq();
      for (const d of HOSTILE_DRAFTS) {
        const text = d.yaml();
        if (parseRule(text, { source: d.name }).rule !== null) continue;
        const err = await store.upsertRule(text, { actor: "attacker" }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(isTtpError(err) && err.code, d.name).toBe("VALIDATION");
      }
      expect(JSON.stringify(await store.listRules())).toBe(before);
      expect(await store.headSeq()).toBe(head);
    } finally {
      await store.close();
    }
  });

  it("a rules directory with a bomb in it reports that file and serves the others", async () => {
    const dir = path.join(tmp, "rules");
    await (await import("node:fs/promises")).mkdir(dir);
    await writeFile(path.join(dir, "R1.yaml"), ruleYaml("R1"));
    await writeFile(path.join(dir, "R2.yaml"), `rule_id: R2\nx: ${"[".repeat(100_000)}\n`);
    const store = new FilesystemRuleStore({ dir, watch: false });
    try {
      const rules = await store.listRules();
      expect(rules.map((r) => r.ruleId)).toEqual(["R1"]);
      const problems = store.problems();
      expect(problems.map((p) => [path.basename(p.source), p.line, p.message])).toEqual([["R2.yaml", 2, expect.stringMatching(/nests deeper than 64/)]]);
    } finally {
      await store.close();
    }
  });
});
