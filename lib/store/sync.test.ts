import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseRuleStore } from "./database-store";
import { FilesystemRuleStore } from "./filesystem-store";
import { FS_SYNC_ACTOR, syncFromFilesystem, type FilesystemSync } from "./sync";
import { validRuleYaml, waitFor } from "./testing/fixtures";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ dir: string; db: DatabaseRuleStore }> {
  const dir = await mkdtemp(path.join(tmpdir(), "ttp-sync-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const db = new DatabaseRuleStore();
  cleanups.push(() => db.close());
  return { dir, db };
}

async function openFs(dir: string): Promise<FilesystemRuleStore> {
  const fs = new FilesystemRuleStore({ dir, stabilityMs: 40 });
  cleanups.push(() => fs.close());
  await fs.ready();
  return fs;
}

function follow(sync: FilesystemSync): void {
  cleanups.push(() => sync.stop());
}

describe("syncFromFilesystem", () => {
  it("reconciles: upserts differing files, deletes filesystem rows whose file is gone, keeps dashboard rows", async () => {
    const { dir, db } = await setup();
    await writeFile(path.join(dir, "R1.yaml"), validRuleYaml("R1"));
    await writeFile(path.join(dir, "R2.yaml"), validRuleYaml("R2", { name: "changed_on_disk" }));
    // Database state before the sync: R2 stale, R3 from a file since removed, R4 from the dashboard.
    await db.upsertRule(validRuleYaml("R1"), { actor: "x", origin: "filesystem" });
    await db.upsertRule(validRuleYaml("R2"), { actor: "x", origin: "filesystem" });
    await db.upsertRule(validRuleYaml("R3"), { actor: "x", origin: "filesystem" });
    await db.upsertRule(validRuleYaml("R4"), { actor: "operator", origin: "dashboard" });
    const fs = await openFs(dir);
    const sync = await syncFromFilesystem(fs, db);
    follow(sync);
    expect(sync.reconciled).toEqual({ upserted: 1, deleted: 1, unchanged: 1, failed: 0 });
    const rows = await db.listRules();
    expect(rows.map((r) => [r.ruleId, r.origin, r.revision])).toEqual([
      ["R1", "filesystem", 1],
      ["R2", "filesystem", 2],
      ["R4", "dashboard", 1],
    ]);
    const r2 = rows.find((r) => r.ruleId === "R2");
    expect(r2?.name).toBe("changed_on_disk");
    expect(r2?.sourcePath).toBe(path.join(dir, "R2.yaml"));
    const h = await db.history({ limit: 2 });
    expect(h.map((e) => [e.kind, e.ruleId, e.actor])).toEqual([
      ["deleted", "R3", FS_SYNC_ACTOR],
      ["definition", "R2", FS_SYNC_ACTOR],
    ]);
  });

  it("then follows file edits, creations and deletions (a dashboard rule edited on disk is applied and audited)", async () => {
    const { dir, db } = await setup();
    await db.upsertRule(validRuleYaml("R9"), { actor: "operator", origin: "dashboard" });
    const fs = await openFs(dir);
    const sync = await syncFromFilesystem(fs, db, { actor: "master" });
    follow(sync);
    expect(sync.reconciled).toEqual({ upserted: 0, deleted: 0, unchanged: 0, failed: 0 });

    await writeFile(path.join(dir, "R1.yaml"), validRuleYaml("R1"));
    await waitFor(async () => (await db.listDefinitions()).some((d) => d.ruleId === "R1"), 5000, "R1 in the database");
    await writeFile(path.join(dir, "R1.yaml"), validRuleYaml("R1", { name: "edited" }));
    await waitFor(async () => (await db.getRule("R1")).name === "edited", 5000, "R1 edit in the database");
    expect((await db.getRule("R1")).revision).toBe(2);

    await writeFile(path.join(dir, "R9.yaml"), validRuleYaml("R9", { name: "from_disk" }));
    await waitFor(async () => (await db.getRule("R9")).name === "from_disk", 5000, "R9 edit in the database");
    expect((await db.getRule("R9")).origin).toBe("filesystem");

    await unlink(path.join(dir, "R1.yaml"));
    await waitFor(async () => !(await db.listDefinitions()).some((d) => d.ruleId === "R1"), 5000, "R1 deleted from the database");
    const h = await db.history({ limit: 10 });
    expect(h.every((e) => e.actor === "master" || e.actor === "operator")).toBe(true);
    expect(h.filter((e) => e.ruleId === "R1").map((e) => e.kind)).toEqual(["deleted", "definition", "definition"]);
  });

  it("stop() ends following; later file changes are not applied", async () => {
    const { dir, db } = await setup();
    const fs = await openFs(dir);
    const sync = await syncFromFilesystem(fs, db);
    await sync.stop();
    await sync.done;
    await writeFile(path.join(dir, "R1.yaml"), validRuleYaml("R1"));
    await waitFor(async () => (await fs.listRules()).length === 1, 5000, "the filesystem store to see R1");
    expect(await db.listDefinitions()).toEqual([]);
  });
});
