import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NotFoundError } from "../errors";
import { DEFAULT_STATE } from "../state/semantics";
import { InProcessBus } from "./bus";
import { FILESYSTEM_ACTOR, FilesystemRuleStore, type FilesystemRuleStoreOptions } from "./filesystem-store";
import { createRuleStore } from "./index";
import { malformedRuleYaml, recordChanges, sleep, validRuleYaml, waitFor } from "./testing/fixtures";
import type { ChangeEvent } from "./types";

const STABILITY_MS = 60;
/** Long enough for chokidar to report and the stability window to pass, so absent events are really absent. */
const SETTLE_MS = STABILITY_MS * 4 + 150;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tmpDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "ttp-fs-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function startStore(dir: string, options: Partial<FilesystemRuleStoreOptions> = {}) {
  const store = new FilesystemRuleStore({ dir, stabilityMs: STABILITY_MS, ...options });
  cleanups.push(() => store.close());
  await store.ready();
  const rec = recordChanges(store.subscribeChanges());
  cleanups.push(() => rec.stop());
  return { store, events: rec.events };
}

const kinds = (events: ChangeEvent[]) => events.map((e) => (e.kind === "resync" ? "resync" : `${e.kind}:${e.ruleId}`));

describe("FilesystemRuleStore: initial scan", () => {
  it("loads rule files at revision 1 without emitting changes, and reports bad files and duplicate ids", async () => {
    const dir = await tmpDir();
    await writeFile(path.join(dir, "R1.yaml"), validRuleYaml("R1"));
    await writeFile(path.join(dir, "R2.yaml"), malformedRuleYaml("R2"));
    await writeFile(path.join(dir, "R3.yaml"), validRuleYaml("R3"));
    await writeFile(path.join(dir, "R3.yml"), validRuleYaml("R3", { ruleVersion: 2 }));
    await writeFile(path.join(dir, "R4.yaml"), validRuleYaml("OTHER"));
    const { store, events } = await startStore(dir);
    const list = await store.listRules();
    expect(list.map((r) => [r.ruleId, r.revision, r.origin, r.sourcePath])).toEqual([["R1", 1, "filesystem", path.join(dir, "R1.yaml")]]);
    expect(Date.parse(list[0]?.updatedAt ?? "")).not.toBeNaN();
    const problems = store.problems();
    expect(new Set(problems.map((p) => path.basename(p.source)))).toEqual(new Set(["R2.yaml", "R3.yaml", "R3.yml", "R4.yaml"]));
    expect(problems.every((p) => p.line >= 1 && p.column >= 1)).toBe(true);
    expect(problems.filter((p) => p.message.includes("duplicate rule_id"))).toHaveLength(2);
    expect((await store.loadCompiled()).seq).toBe(0);
    await sleep(SETTLE_MS);
    expect(events).toEqual([]);
  });

  it("rejects ready() for a missing directory", async () => {
    const dir = await tmpDir();
    const store = new FilesystemRuleStore({ dir: path.join(dir, "missing"), watch: false });
    cleanups.push(() => store.close());
    await expect(store.ready()).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.listRules()).rejects.toBeInstanceOf(NotFoundError);
  });

  it("with watch: false scans once and still writes", async () => {
    const dir = await tmpDir();
    await writeFile(path.join(dir, "R1.yaml"), validRuleYaml("R1"));
    const { store } = await startStore(dir, { watch: false });
    await writeFile(path.join(dir, "R2.yaml"), validRuleYaml("R2"));
    await store.upsertRule(validRuleYaml("R3"), { actor: "a" });
    await sleep(SETTLE_MS);
    expect((await store.listRules()).map((r) => r.ruleId)).toEqual(["R1", "R3"]);
  });
});

describe("FilesystemRuleStore: watching the directory", () => {
  it("external create, write and delete each produce exactly one change (and bus message)", async () => {
    const dir = await tmpDir();
    const bus = new InProcessBus();
    const { store, events } = await startStore(dir, { bus });
    const file = path.join(dir, "R1.yaml");
    await writeFile(file, validRuleYaml("R1"));
    await waitFor(() => events.length >= 1);
    await sleep(SETTLE_MS);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: "definition", ruleId: "R1", revision: 1, actor: FILESYSTEM_ACTOR, seq: 1 });

    await store.setState("R1", { state: "disabled" }, "alice");
    await writeFile(file, validRuleYaml("R1", { ruleVersion: 2 }));
    await waitFor(() => events.length >= 3);
    await sleep(SETTLE_MS);
    expect(kinds(events)).toEqual(["definition:R1", "state:R1", "definition:R1"]);
    expect(events[2]).toMatchObject({ revision: 2, rule: { ruleVersion: 2, state: { state: "disabled" } } });
    expect((await store.getState("R1")).state).toBe("disabled");

    await unlink(file);
    await waitFor(() => events.length >= 4);
    await sleep(SETTLE_MS);
    expect(kinds(events)).toEqual(["definition:R1", "state:R1", "definition:R1", "deleted:R1"]);
    expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
    await expect(store.getRule("R1")).rejects.toBeInstanceOf(NotFoundError);
    expect(bus.messages.map((m) => m.topic)).toEqual([
      "ttp.rule.reloaded.R1",
      "ttp.rule.state.R1",
      "ttp.rule.reloaded.R1",
      "ttp.rule.reloaded.R1",
    ]);
    const [latest] = await store.history({ limit: 1 });
    expect(latest).toMatchObject({ kind: "deleted", actor: FILESYSTEM_ACTOR });
  });

  it("an editor-style save (original renamed to a backup, new file written) is one definition change and keeps the state", async () => {
    const dir = await tmpDir();
    const file = path.join(dir, "R1.yaml");
    await writeFile(file, validRuleYaml("R1"));
    const { store, events } = await startStore(dir);
    await store.setState("R1", { state: "disabled" }, "alice");
    await rename(file, `${file}~`);
    await writeFile(file, validRuleYaml("R1", { ruleVersion: 2 }));
    await waitFor(() => events.length >= 2);
    await sleep(SETTLE_MS);
    expect(kinds(events)).toEqual(["state:R1", "definition:R1"]);
    expect((await store.getState("R1")).state).toBe("disabled");
    expect((await store.getRule("R1")).revision).toBe(2);
  });

  it("writing the same content twice yields one change", async () => {
    const dir = await tmpDir();
    const { events } = await startStore(dir);
    const file = path.join(dir, "R1.yaml");
    await writeFile(file, validRuleYaml("R1"));
    await waitFor(() => events.length >= 1);
    await sleep(SETTLE_MS);
    await writeFile(file, validRuleYaml("R1"));
    await sleep(SETTLE_MS);
    expect(kinds(events)).toEqual(["definition:R1"]);
  });

  it("rename in and rename out each produce exactly one change", async () => {
    const dir = await tmpDir();
    const outside = await tmpDir();
    const { store, events } = await startStore(dir);
    await writeFile(path.join(outside, "R1.yaml"), validRuleYaml("R1"));
    await rename(path.join(outside, "R1.yaml"), path.join(dir, "R1.yaml"));
    await waitFor(() => events.length >= 1);
    await sleep(SETTLE_MS);
    expect(kinds(events)).toEqual(["definition:R1"]);
    await rename(path.join(dir, "R1.yaml"), path.join(outside, "R1.yaml"));
    await waitFor(() => events.length >= 2);
    await sleep(SETTLE_MS);
    expect(kinds(events)).toEqual(["definition:R1", "deleted:R1"]);
    expect(await store.listRules()).toEqual([]);
  });

  it("renaming A.yaml to B.yaml deletes A; B is defined once its rule_id matches the new name", async () => {
    const dir = await tmpDir();
    const { store, events } = await startStore(dir);
    await store.upsertRule(validRuleYaml("A"), { actor: "alice" });
    await rename(path.join(dir, "A.yaml"), path.join(dir, "B.yaml"));
    await waitFor(() => events.length >= 2);
    await sleep(SETTLE_MS);
    expect(kinds(events)).toEqual(["definition:A", "deleted:A"]);
    expect(store.problems()).toEqual([expect.objectContaining({ source: path.join(dir, "B.yaml"), path: ["rule_id"] })]);
    await writeFile(path.join(dir, "B.yaml"), validRuleYaml("B"));
    await waitFor(() => events.length >= 3);
    await sleep(SETTLE_MS);
    expect(kinds(events)).toEqual(["definition:A", "deleted:A", "definition:B"]);
    expect(store.problems()).toEqual([]);
  });

  it("a half-written file is not published: only the complete version is", async () => {
    const dir = await tmpDir();
    const { store, events } = await startStore(dir);
    const full = validRuleYaml("R1", { extra: "x_note: the complete version" });
    // The first half is itself a valid rule: publishing it would be visible.
    const cut = full.indexOf("x_note");
    const handle = await open(path.join(dir, "R1.yaml"), "w");
    await handle.write(full.slice(0, cut));
    await handle.sync();
    await sleep(STABILITY_MS / 3);
    await handle.write(full.slice(cut));
    await handle.close();
    await waitFor(() => events.length >= 1);
    await sleep(SETTLE_MS);
    expect(events).toHaveLength(1);
    expect((await store.getRule("R1")).yamlText).toBe(full);
    expect(events[0]).toMatchObject({ kind: "definition", rule: { yamlText: full } });
  });

  it("a malformed edit keeps the last good rule live and reports a problem with line:column until fixed", async () => {
    const dir = await tmpDir();
    const file = path.join(dir, "R1.yaml");
    await writeFile(file, validRuleYaml("R1"));
    const { store, events } = await startStore(dir);
    await writeFile(file, validRuleYaml("R1", { confidence: 7 }));
    await waitFor(() => store.problems().length > 0);
    expect(store.problems()).toEqual([
      expect.objectContaining({ source: file, path: ["emits", 0, "confidence"], line: 12, column: 17, severity: "error" }),
    ]);
    expect((await store.getRule("R1")).yamlText).toBe(validRuleYaml("R1"));
    expect((await store.loadCompiled()).rules.map((r) => r.emits[0]?.confidence)).toEqual([0.6]);
    await sleep(SETTLE_MS);
    expect(events).toEqual([]);

    await writeFile(file, validRuleYaml("R1", { confidence: 0.7 }));
    await waitFor(() => events.length >= 1);
    expect(store.problems()).toEqual([]);
    expect(events[0]).toMatchObject({ kind: "definition", revision: 2 });
    expect((await store.getRule("R1")).rule.emits[0]?.confidence).toBe(0.7);

    await writeFile(file, malformedRuleYaml("R1"));
    await waitFor(() => store.problems().length > 0);
    await unlink(file);
    await waitFor(() => events.length >= 2);
    expect(store.problems()).toEqual([]);
    expect(kinds(events)).toEqual(["definition:R1", "deleted:R1"]);
  });

  it("ignores editor swap files, backups, other names, sub-directories and symlinks", async () => {
    const dir = await tmpDir();
    const { store, events } = await startStore(dir);
    const text = validRuleYaml("R1");
    await writeFile(path.join(dir, ".R1.yaml.swp"), text);
    await writeFile(path.join(dir, "R1.yaml~"), text);
    await writeFile(path.join(dir, "#R1.yaml#"), text);
    await writeFile(path.join(dir, "R1.yaml.bak"), text);
    await writeFile(path.join(dir, "notes.txt"), "hello");
    await mkdir(path.join(dir, "sub"));
    await writeFile(path.join(dir, "sub", "R1.yaml"), text);
    await mkdir(path.join(dir, "R2.yaml"));
    await writeFile(path.join(dir, "R2.yaml", "R2.yaml"), validRuleYaml("R2"));
    const outside = await tmpDir();
    await writeFile(path.join(outside, "R3.yaml"), validRuleYaml("R3"));
    await symlink(path.join(outside, "R3.yaml"), path.join(dir, "R3.yaml"));
    await sleep(SETTLE_MS);
    expect(events).toEqual([]);
    expect(store.problems()).toEqual([]);
    expect(await store.listRules()).toEqual([]);
  });

  it("two files with the same rule id are both problems; the last good version stays live until one goes", async () => {
    const dir = await tmpDir();
    await writeFile(path.join(dir, "R1.yaml"), validRuleYaml("R1"));
    const { store, events } = await startStore(dir);
    await writeFile(path.join(dir, "R1.yml"), validRuleYaml("R1", { ruleVersion: 2 }));
    await waitFor(() => store.problems().length === 2);
    expect((await store.getRule("R1")).ruleVersion).toBe(1);
    await unlink(path.join(dir, "R1.yaml"));
    await waitFor(() => events.length >= 1);
    await sleep(SETTLE_MS);
    expect(store.problems()).toEqual([]);
    expect(kinds(events)).toEqual(["definition:R1"]);
    expect(await store.getRule("R1")).toMatchObject({ ruleVersion: 2, revision: 2, sourcePath: path.join(dir, "R1.yml") });
  });
});

describe("FilesystemRuleStore: writes", () => {
  it("upsert writes atomically: a concurrent reader only ever sees whole files, no temp files remain, the watcher echo is deduplicated", async () => {
    const dir = await tmpDir();
    const { store, events } = await startStore(dir);
    const padding = "x".repeat(64 * 1024);
    const versions = Array.from({ length: 8 }, (_, i) => validRuleYaml("R1", { ruleVersion: i + 1, extra: `x_pad: ${padding}${i}` }));
    const file = path.join(dir, "R1.yaml");
    let reading = true;
    const seen: string[] = [];
    const reader = (async () => {
      while (reading) {
        try {
          seen.push(await readFile(file, "utf8"));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (const v of versions) await store.upsertRule(v, { actor: "alice" });
    reading = false;
    await reader;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => versions.includes(s))).toBe(true);
    expect(await readdir(dir)).toEqual(["R1.yaml"]);
    await sleep(SETTLE_MS);
    expect(events).toHaveLength(versions.length);
    expect((await store.getRule("R1")).revision).toBe(versions.length);
  });

  it("upsert publishes at once and records the actor; identical text is not a new revision", async () => {
    const dir = await tmpDir();
    const { store, events } = await startStore(dir);
    const rec = await store.upsertRule(validRuleYaml("R1"), { actor: "alice" });
    expect(events).toHaveLength(1);
    expect(rec).toMatchObject({ revision: 1, updatedBy: "alice", sourcePath: path.join(dir, "R1.yaml") });
    expect(await readFile(path.join(dir, "R1.yaml"), "utf8")).toBe(validRuleYaml("R1"));
    expect((await store.upsertRule(validRuleYaml("R1"), { actor: "bob" })).revision).toBe(1);
    await sleep(SETTLE_MS);
    expect(events).toHaveLength(1);
  });

  it("keeps an existing file's name (R1.yml) and replaces a malformed file, clearing its problem", async () => {
    const dir = await tmpDir();
    await writeFile(path.join(dir, "R1.yml"), validRuleYaml("R1"));
    await writeFile(path.join(dir, "R2.yaml"), malformedRuleYaml("R2"));
    const { store } = await startStore(dir);
    expect(store.problems()).toHaveLength(1);
    await store.upsertRule(validRuleYaml("R1", { ruleVersion: 5 }), { actor: "alice" });
    await store.upsertRule(validRuleYaml("R2"), { actor: "alice" });
    expect((await readdir(dir)).sort()).toEqual(["R1.yml", "R2.yaml"]);
    expect(await readFile(path.join(dir, "R1.yml"), "utf8")).toBe(validRuleYaml("R1", { ruleVersion: 5 }));
    expect(store.problems()).toEqual([]);
    expect((await store.getRule("R2")).revision).toBe(1);
  });

  it("deleteRule unlinks the file", async () => {
    const dir = await tmpDir();
    const { store, events } = await startStore(dir);
    await store.upsertRule(validRuleYaml("R1"), { actor: "alice" });
    await store.deleteRule("R1", { actor: "bob", reason: "obsolete" });
    expect(await readdir(dir)).toEqual([]);
    await sleep(SETTLE_MS);
    expect(kinds(events)).toEqual(["definition:R1", "deleted:R1"]);
    expect((await store.history({ limit: 1 }))[0]).toMatchObject({ kind: "deleted", actor: "bob", reason: "obsolete" });
  });

  it("caps the in-memory history", async () => {
    const dir = await tmpDir();
    const { store } = await startStore(dir, { historyLimit: 3 });
    await store.upsertRule(validRuleYaml("R1"), { actor: "a" });
    for (let i = 0; i < 5; i++) await store.setState("R1", { state: "disabled", reason: `r${i}` }, "a");
    const h = await store.history({ limit: 100 });
    expect(h.map((e) => e.reason)).toEqual(["r4", "r3", "r2"]);
    expect(h.map((e) => e.seq)).toEqual([6, 5, 4]);
    const replay = store.subscribeChanges({ fromSeq: 3 });
    expect((await replay.next()).value).toMatchObject({ kind: "state", seq: 4 });
    await replay.return?.();
    const tooOld = store.subscribeChanges({ fromSeq: 1 });
    expect((await tooOld.next()).value).toMatchObject({ kind: "resync" });
    await tooOld.return?.();
  });

  it("close() is idempotent and ends subscriptions", async () => {
    const dir = await tmpDir();
    const store = new FilesystemRuleStore({ dir });
    const it = store.subscribeChanges();
    await store.ready();
    const pending = it.next();
    await Promise.all([store.close(), store.close()]);
    await store.close();
    expect((await pending).done).toBe(true);
  });
});

describe("createRuleStore", () => {
  it("builds the configured backend, ready to use", async () => {
    const dir = await tmpDir();
    await writeFile(path.join(dir, "R1.yaml"), validRuleYaml("R1"));
    const fsStore = await createRuleStore({ store: "filesystem", rulesDir: dir, databaseUrl: ":memory:", watch: false });
    cleanups.push(() => fsStore.close());
    expect(fsStore.backend).toBe("filesystem");
    expect((await fsStore.listRules()).map((r) => r.ruleId)).toEqual(["R1"]);
    const dbStore = await createRuleStore({ store: "database", rulesDir: dir, databaseUrl: ":memory:" });
    cleanups.push(() => dbStore.close());
    expect(dbStore.backend).toBe("sqlite");
    expect(await dbStore.listRules()).toEqual([]);
  });

  it("fails at start, naming the allowed values, for an unknown backend or a missing directory", async () => {
    const bad = createRuleStore({ store: "redis" as never, rulesDir: ".", databaseUrl: ":memory:" });
    await expect(bad).rejects.toThrow(/unknown rule store "redis"; allowed values: filesystem, database/);
    const dir = await tmpDir();
    await expect(createRuleStore({ store: "filesystem", rulesDir: path.join(dir, "nope"), databaseUrl: "" })).rejects.toBeInstanceOf(NotFoundError);
  });
});
