import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestPgDatabase, terminateBackends, type TestPgDatabase } from "../../db/testing/pg";
import { ConflictError, NotFoundError, TtpError, ValidationError } from "../errors";
import { DatabaseRuleStore, type DatabaseRuleStoreOptions } from "./database-store";
import { PG_LISTENER_APP_NAME } from "./db-driver";
import { manualClock, recordChanges, sleep, validRuleYaml, waitFor } from "./testing/fixtures";
import { SYSTEM_EXPIRY_ACTOR, type ChangeEvent, type RuleChange } from "./types";

const stores: DatabaseRuleStore[] = [];
function open(options: DatabaseRuleStoreOptions = {}): DatabaseRuleStore {
  const s = new DatabaseRuleStore(options);
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function changesOf(events: ChangeEvent[]): RuleChange[] {
  return events.filter((e): e is RuleChange => e.kind !== "resync");
}

function inFuture(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

/** Retries a write while the database is unavailable (outage tests). */
async function retryBusy<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof TtpError && err.code === "BUSY") || i > 50) throw err;
      await sleep(50);
    }
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ttp-db-store-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
let fileCounter = 0;
function freshFile(): string {
  return path.join(dir, `store-${++fileCounter}.db`);
}

describe("DatabaseRuleStore on in-memory SQLite", () => {
  it("works with no arguments: schema applied synchronously, seq starts at 1", async () => {
    const store = open();
    expect(store.backend).toBe("sqlite");
    expect(await store.headSeq()).toBe(0);
    const rec = await store.upsertRule(validRuleYaml("R1"), { actor: "alice" });
    expect(rec).toMatchObject({ ruleId: "R1", revision: 1, origin: "dashboard", sourcePath: null, updatedBy: "alice" });
    expect(await store.headSeq()).toBe(1);
    expect(store.problems()).toEqual([]);
  });

  it("a validation error writes nothing: no rule row, no change row", async () => {
    const store = open();
    await expect(store.upsertRule("rule_id: Bad\nrule_version: 0\n", { actor: "alice" })).rejects.toBeInstanceOf(ValidationError);
    await store.upsertRule(validRuleYaml("R1"), { actor: "alice" });
    const err = await store.setState("R1", { state: "clipped", confidence_max: 1.5 }, "alice").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]).toMatchObject({ source: "R1", path: ["confidence_max"], line: 1, column: 1 });
    await expect(store.setState("Nope", { state: "disabled" }, "alice")).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.clearState("Nope", "alice")).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.deleteRule("Nope", { actor: "alice" })).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.headSeq()).toBe(1);
    expect((await store.history({ limit: 10 })).map((h) => h.kind)).toEqual(["definition"]);
    expect((await store.listDefinitions()).map((d) => d.ruleId)).toEqual(["R1"]);
  });

  it("optimistic concurrency: stale, missing and create-only expectedRevision", async () => {
    const store = open();
    await expect(store.upsertRule(validRuleYaml("R1"), { actor: "a", expectedRevision: 3 })).rejects.toMatchObject({
      code: "CONFLICT",
      currentRevision: null,
    });
    const r1 = await store.upsertRule(validRuleYaml("R1"), { actor: "a", expectedRevision: 0 });
    expect(r1.revision).toBe(1);
    await expect(store.upsertRule(validRuleYaml("R1", { name: "x" }), { actor: "a", expectedRevision: 0 })).rejects.toBeInstanceOf(ConflictError);
    const r2 = await store.upsertRule(validRuleYaml("R1", { name: "x" }), { actor: "a", expectedRevision: 1 });
    expect(r2.revision).toBe(2);
    const err = await store.upsertRule(validRuleYaml("R1", { name: "y" }), { actor: "b", expectedRevision: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).currentRevision).toBe(2);
    expect((err as ConflictError).message).toMatch(/revision 2/);
    await expect(store.deleteRule("R1", { actor: "b", expectedRevision: 1 })).rejects.toBeInstanceOf(ConflictError);
    expect((await store.getRule("R1")).name).toBe("x");
  });

  it("an identical upsert (same origin) is a no-op; the same text from another origin is a new revision", async () => {
    const store = open();
    const text = validRuleYaml("R1");
    await store.upsertRule(text, { actor: "a", origin: "filesystem", sourcePath: "rules/ttp/R1.yaml" });
    const again = await store.upsertRule(text, { actor: "b", origin: "filesystem" });
    expect(again).toMatchObject({ revision: 1, updatedBy: "a", sourcePath: "rules/ttp/R1.yaml" });
    expect(await store.headSeq()).toBe(1);
    const dash = await store.upsertRule(text, { actor: "c", origin: "dashboard" });
    expect(dash).toMatchObject({ revision: 2, origin: "dashboard", sourcePath: "rules/ttp/R1.yaml" });
    expect(await store.headSeq()).toBe(2);
  });

  it("writes one change row per mutation, seq strictly increasing, with the documented snapshots", async () => {
    const clock = manualClock();
    const store = open({ clock });
    const text = validRuleYaml("R1");
    await store.upsertRule(text, { actor: "alice", origin: "import", sourcePath: "/x/R1.yaml" });
    clock.advance(1000);
    const expires = new Date(clock() + 60_000).toISOString();
    const set = await store.setState("R1", { state: "clipped", confidence_max: 0.25, expires_at: expires, reason: "noisy" }, "bob");
    clock.advance(1000);
    await store.clearState("R1", "carol", "fixed");
    await store.setState("R1", { state: "disabled" }, "dave");
    await store.deleteRule("R1", { actor: "erin", reason: "obsolete" });
    const h = await store.history({ limit: 100 });
    expect(h.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(h.map((e) => [e.kind, e.actor, e.reason])).toEqual([
      ["deleted", "erin", "obsolete"],
      ["state", "dave", null],
      ["state", "carol", "fixed"],
      ["state", "bob", "noisy"],
      ["definition", "alice", null],
    ]);
    const def = { yaml: text, revision: 1, rule_version: 1, origin: "import", source_path: "/x/R1.yaml" };
    expect(h[4]).toMatchObject({ before: null, after: def, autoRevert: false, at: "2030-01-01T00:00:00.000Z" });
    expect(h[3]?.after).toEqual(set);
    expect(set).toEqual({
      state: "clipped",
      confidence_max: 0.25,
      expires_at: expires,
      reason: "noisy",
      set_by: "bob",
      set_at: "2030-01-01T00:00:01.000Z",
    });
    expect(h[2]?.before).toEqual(set);
    expect(h[2]?.after).toEqual({ state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null });
    expect(h[0]?.before).toEqual({ ...def, state: { ...set, state: "disabled", confidence_max: null, expires_at: null, reason: null, set_by: "dave", set_at: "2030-01-01T00:00:02.000Z" } });
    expect(h[0]?.after).toBeNull();
    expect(await store.history({ limit: 2, before: 4, ruleId: "R1" })).toHaveLength(2);
    expect((await store.history({ limit: 2, before: 4, ruleId: "R1" })).map((e) => e.seq)).toEqual([3, 2]);
  });

  it("deleteRule drops the state row in the same transaction; a re-created rule starts from the default state", async () => {
    const store = open();
    await store.upsertRule(validRuleYaml("R1"), { actor: "a" });
    await store.setState("R1", { state: "disabled" }, "a");
    await store.deleteRule("R1", { actor: "a" });
    await store.upsertRule(validRuleYaml("R1"), { actor: "a" });
    expect((await store.getRule("R1")).state.state).toBe("enabled");
    expect((await store.getRule("R1")).revision).toBe(1);
  });

  it("subscribeChanges({ fromSeq }) replays from a seq, in order, then live; tail() (deprecated alias) defaults to the head; return() and abort end it", async () => {
    const store = open();
    await store.upsertRule(validRuleYaml("R1"), { actor: "a" });
    await store.setState("R1", { state: "disabled" }, "a");
    const all = store.subscribeChanges({ fromSeq: 0 });
    expect((await all.next()).value).toMatchObject({ seq: 1, kind: "definition", ruleId: "R1", revision: 1 });
    expect((await all.next()).value).toMatchObject({ seq: 2, kind: "state", autoRevert: false });
    const fromNow = store.tail();
    const pending = fromNow.next();
    await store.clearState("R1", "b");
    expect((await pending).value).toMatchObject({ seq: 3, kind: "state", actor: "b" });
    expect((await all.next()).value).toMatchObject({ seq: 3 });
    const idle = all.next();
    await all.return?.();
    expect((await idle).done).toBe(true);
    const ac = new AbortController();
    const aborted = store.subscribeChanges({ fromSeq: 3, signal: ac.signal });
    const waiting = aborted.next();
    ac.abort();
    expect((await waiting).done).toBe(true);
    await fromNow.return?.();
  });

  it("with no subscriber and no expiry the hub skips what was written; a later subscriber gets each later change once, before the write returns", async () => {
    const store = open({ expiry: false });
    for (let i = 1; i <= 5; i++) await store.upsertRule(validRuleYaml(`R${i}`), { actor: "a" });
    const live = store.subscribeChanges();
    const got: RuleChange[] = [];
    const reader = (async () => {
      for await (const e of live) {
        if (e.kind === "resync") continue;
        got.push(e);
        if (got.length === 2) break;
      }
    })();
    await store.setState("R2", { state: "disabled" }, "b");
    expect(got.map((c) => c.seq)).toEqual([6]);
    await store.setState("R3", { state: "disabled" }, "b");
    await reader;
    expect(got.map((c) => [c.seq, c.ruleId])).toEqual([
      [6, "R2"],
      [7, "R3"],
    ]);
  });
});

describe("DatabaseRuleStore on an SQLite file", () => {
  it("a failure inside the transaction rolls back the rule row with it", async () => {
    const file = freshFile();
    const store = open({ url: `file:${file}` });
    const raw = new Database(file);
    try {
      raw.exec("CREATE TRIGGER fail_change BEFORE INSERT ON ttp_change BEGIN SELECT RAISE(ABORT, 'boom'); END");
      const err = await store.upsertRule(validRuleYaml("R1"), { actor: "a" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TtpError);
      expect((err as TtpError).code).toBe("INTERNAL");
      expect(raw.prepare("SELECT count(*) AS n FROM ttp_rule").get()).toEqual({ n: 0 });
      raw.exec("DROP TRIGGER fail_change");
      await store.upsertRule(validRuleYaml("R1"), { actor: "a" });
      expect(raw.prepare("SELECT count(*) AS n FROM ttp_rule").get()).toEqual({ n: 1 });
      expect(raw.prepare("SELECT count(*) AS n FROM ttp_change").get()).toEqual({ n: 1 });
    } finally {
      raw.close();
    }
  });

  it("a stored rule that no longer compiles is left out of loads and reported in problems(), never crashing", async () => {
    const file = freshFile();
    const store = open({ url: `file:${file}` });
    await store.upsertRule(validRuleYaml("R1"), { actor: "a" });
    await store.upsertRule(validRuleYaml("R2"), { actor: "a" });
    const raw = new Database(file);
    raw.prepare("UPDATE ttp_rule SET yaml_content = ? WHERE rule_id = 'R2'").run("rule_id: R2\nrule_version: x\n");
    raw.close();
    const loaded = await store.loadCompiled();
    expect(loaded.rules.map((r) => r.ruleId)).toEqual(["R1"]);
    expect(store.problems().length).toBeGreaterThan(0);
    expect(store.problems()[0]?.source).toBe("R2");
    expect((await store.listRules()).map((r) => r.ruleId)).toEqual(["R1"]);
    await expect(store.getRule("R2")).rejects.toBeInstanceOf(ValidationError);
    expect((await store.listDefinitions()).map((d) => d.ruleId)).toEqual(["R1", "R2"]);
    await store.upsertRule(validRuleYaml("R2"), { actor: "fixer" });
    expect(store.problems()).toEqual([]);
    expect((await store.loadCompiled()).rules).toHaveLength(2);
  });

  it("bulk loads use the stored definition JSON only while it matches the YAML text", async () => {
    const file = freshFile();
    const writer = open({ url: `file:${file}` });
    await writer.upsertRule(validRuleYaml("R1"), { actor: "a" });
    await writer.upsertRule(validRuleYaml("R2"), { actor: "a" });
    await writer.upsertRule(validRuleYaml("R3"), { actor: "a" });
    const raw = new Database(file);
    const stored = raw.prepare("SELECT rule_id, definition, definition_sha256 FROM ttp_rule ORDER BY rule_id").all() as {
      definition: string | null;
      definition_sha256: string | null;
    }[];
    expect(stored.every((r) => r.definition !== null && /^[0-9a-f]{64}$/.test(r.definition_sha256 ?? ""))).toBe(true);
    // R2: the text edited behind the store's back (stale JSON must lose); R3: JSON of an unknown format.
    raw.prepare("UPDATE ttp_rule SET yaml_content = ? WHERE rule_id = 'R2'").run(validRuleYaml("R2", { name: "edited_in_sql" }));
    raw.prepare("UPDATE ttp_rule SET definition = ? WHERE rule_id = 'R3'").run('{"v":"0/0"}');
    raw.close();
    const reader = open({ url: `file:${file}` });
    const loaded = await reader.loadCompiled();
    expect(loaded.rules.map((r) => [r.ruleId, r.name])).toEqual([
      ["R1", "system_info_discovery"],
      ["R2", "edited_in_sql"],
      ["R3", "system_info_discovery"],
    ]);
    expect(loaded.rules[0]?.matcher?.test("uname -a")).toBe(true);
    expect(loaded.rules[0]?.yamlText).toBe(validRuleYaml("R1"));
    expect(reader.problems()).toEqual([]);
  });

  it("two store instances on one file see each other's changes, in seq order", async () => {
    const file = freshFile();
    const a = open({ url: `file:${file}` });
    const b = open({ url: `file:${file}` });
    const seenByB = recordChanges(b.subscribeChanges());
    const seenByA = recordChanges(a.subscribeChanges());
    await a.upsertRule(validRuleYaml("R1"), { actor: "a" });
    await b.setState("R1", { state: "disabled" }, "b");
    await a.deleteRule("R1", { actor: "a" });
    await waitFor(() => changesOf(seenByB.events).length >= 3 && changesOf(seenByA.events).length >= 3, 3000, "both instances to see 3 changes");
    for (const rec of [seenByA, seenByB]) {
      expect(changesOf(rec.events).map((c) => [c.seq, c.kind, c.actor])).toEqual([
        [1, "definition", "a"],
        [2, "state", "b"],
        [3, "deleted", "a"],
      ]);
    }
    expect(await b.getState("R1")).toMatchObject({ state: "enabled" });
    await seenByA.stop();
    await seenByB.stop();
  });

  it("expiry: three instances on one file revert once (one system:expiry row), each emits it once", async () => {
    const file = freshFile();
    const instances = [open({ url: `file:${file}` }), open({ url: `file:${file}` }), open({ url: `file:${file}` })];
    await instances[0]!.upsertRule(validRuleYaml("R1"), { actor: "a" });
    const recs = instances.map((s) => recordChanges(s.subscribeChanges()));
    const expiresAt = inFuture(400);
    await instances[1]!.setState("R1", { state: "disabled", expires_at: expiresAt }, "b");
    await waitFor(() => recs.every((r) => changesOf(r.events).some((c) => c.kind === "state" && c.autoRevert)), 3000, "every instance to see the revert");
    await sleep(150);
    const reverts = (await instances[2]!.history({ limit: 50 })).filter((h) => h.actor === SYSTEM_EXPIRY_ACTOR);
    expect(reverts).toHaveLength(1);
    expect(reverts[0]).toMatchObject({ autoRevert: true, before: { state: "disabled", expires_at: expiresAt }, after: { state: "enabled" } });
    const lateness = Date.parse(reverts[0]!.at) - Date.parse(expiresAt);
    console.info(`sqlite expiry lateness: ${lateness} ms`);
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(1000);
    for (const r of recs) {
      expect(changesOf(r.events).filter((c) => c.kind === "state" && c.autoRevert)).toHaveLength(1);
      await r.stop();
    }
    for (const s of instances) expect((await s.getState("R1")).state).toBe("enabled");
  });

  it("expiry never reverts a newer state written by another instance in the meantime", async () => {
    const file = freshFile();
    const clock = manualClock(Date.now());
    const a = open({ url: `file:${file}`, clock, expiry: false });
    const b = open({ url: `file:${file}`, expiry: false });
    await a.upsertRule(validRuleYaml("R1"), { actor: "a" });
    await a.setState("R1", { state: "disabled", expires_at: new Date(clock() + 300).toISOString() }, "a");
    await b.setState("R1", { state: "clipped", confidence_max: 0.2 }, "b");
    clock.advance(10_000);
    expect(await a.sweepExpired()).toBe(0);
    expect(await a.getState("R1")).toMatchObject({ state: "clipped", set_by: "b" });
    // And with real timers: a newer expiring state replaces an older one before it expires.
    const c = open({ url: `file:${file}` });
    const d = open({ url: `file:${file}` });
    await c.setState("R1", { state: "disabled", expires_at: inFuture(300) }, "c");
    await d.setState("R1", { state: "disabled", expires_at: inFuture(5000), reason: "longer" }, "d");
    await sleep(600);
    expect(await c.getState("R1")).toMatchObject({ state: "disabled", set_by: "d", reason: "longer" });
    expect((await c.history({ limit: 50 })).filter((h) => h.actor === SYSTEM_EXPIRY_ACTOR)).toHaveLength(0);
  });

  it("subscribe, load, apply seq > loaded: every change from a concurrent writer exactly once", async () => {
    const file = freshFile();
    await exactlyOnceScenario(
      () => open({ url: `file:${file}` }),
      () => open({ url: `file:${file}` }),
    );
  });
});

/** A consumer that subscribes, loads, then applies changes with seq > loaded ends equal to the database. */
async function exactlyOnceScenario(makeWriter: () => DatabaseRuleStore, makeReader: () => DatabaseRuleStore): Promise<void> {
  const writer = makeWriter();
  await writer.ready();
  for (let i = 0; i < 5; i++) await writer.upsertRule(validRuleYaml(`R${i}`), { actor: "w" });
  let writing = true;
  const writes = (async () => {
    for (let i = 0; writing || i < 40; i++) {
      const id = `R${i % 7}`;
      if (i % 3 === 0) await writer.upsertRule(validRuleYaml(id, { name: `n${i}` }), { actor: "w" });
      else if (i % 3 === 1) await writer.setState(id, { state: "disabled", reason: `r${i}` }, "w").catch((e: unknown) => {
        if (!(e instanceof NotFoundError)) throw e;
      });
      else await writer.clearState(id, "w").catch((e: unknown) => {
        if (!(e instanceof NotFoundError)) throw e;
      });
      if (i > 400) break;
      await sleep(0);
    }
  })();
  await sleep(5);
  const reader = makeReader();
  const sub = reader.subscribeChanges();
  const loaded = await reader.loadCompiled();
  expect(loaded.seq).toBeGreaterThan(0);
  const view = new Map(loaded.rules.map((r) => [r.ruleId, { name: r.name, state: r.state.state }]));
  writing = false;
  await writes;
  const head = await writer.headSeq();
  const seqs: number[] = [];
  while (seqs.at(-1) !== head) {
    const next = await sub.next();
    if (next.done) throw new Error("subscription ended");
    const c = next.value;
    if (c.kind === "resync") throw new Error("unexpected resync");
    if (c.seq === null || c.seq <= loaded.seq!) continue;
    seqs.push(c.seq);
    if (c.kind === "definition") view.set(c.ruleId, { name: c.rule.name, state: view.get(c.ruleId)?.state ?? "enabled" });
    else if (c.kind === "deleted") view.delete(c.ruleId);
    else {
      const cur = view.get(c.ruleId);
      if (cur) cur.state = c.state.state;
    }
  }
  await sub.return?.();
  expect(seqs).toEqual(Array.from({ length: head - loaded.seq! }, (_, i) => loaded.seq! + 1 + i));
  const truth = await writer.listRules();
  expect(Object.fromEntries(view)).toEqual(Object.fromEntries(truth.map((r) => [r.ruleId, { name: r.name, state: r.state.state }])));
}

describe("DatabaseRuleStore on PostgreSQL", () => {
  let db: TestPgDatabase;
  beforeAll(async () => {
    db = await createTestPgDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  beforeEach(async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const exists = await c.query("SELECT 1 FROM pg_tables WHERE tablename = 'ttp_change'");
      if (exists.rowCount) await c.query("TRUNCATE ttp_rule, ttp_rule_state, ttp_change RESTART IDENTITY CASCADE");
    } finally {
      await c.end();
    }
  });

  it("round-trips instants through timestamptz as ISO-8601 UTC strings", async () => {
    const store = open({ url: db.url });
    expect(store.backend).toBe("postgres");
    await store.ready();
    await store.upsertRule(validRuleYaml("R1"), { actor: "a" });
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    const set = await store.setState("R1", { state: "clipped", confidence_max: 0.3, expires_at: expires.replace("Z", "+00:00") }, "a");
    expect(set.expires_at).toBe(expires);
    expect(await store.getState("R1")).toEqual(set);
    const rec = await store.getRule("R1");
    expect(rec.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(rec.state.confidence_max).toBe(0.3);
    const [latest] = await store.history({ limit: 1 });
    expect(latest?.after).toEqual(set);
  });

  it("a failure inside the transaction rolls back the rule row with it", async () => {
    const store = open({ url: db.url });
    await store.ready();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query("CREATE FUNCTION ttp_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$");
      await c.query("CREATE TRIGGER ttp_fail BEFORE INSERT ON ttp_change FOR EACH ROW EXECUTE FUNCTION ttp_fail()");
      await expect(store.upsertRule(validRuleYaml("R1"), { actor: "a" })).rejects.toMatchObject({ code: "INTERNAL" });
      expect((await c.query("SELECT count(*)::int AS n FROM ttp_rule")).rows[0]).toEqual({ n: 0 });
      await c.query("DROP TRIGGER ttp_fail ON ttp_change");
      await c.query("DROP FUNCTION ttp_fail()");
      await store.upsertRule(validRuleYaml("R1"), { actor: "a" });
      expect((await c.query("SELECT count(*)::int AS n FROM ttp_rule")).rows[0]).toEqual({ n: 1 });
    } finally {
      await c.end();
    }
  });

  it("concurrent writers from several instances: seq order = commit order, no gaps seen by a tail", async () => {
    const writers = [open({ url: db.url }), open({ url: db.url }), open({ url: db.url })];
    await Promise.all(writers.map((w) => w.ready()));
    await writers[0]!.upsertRule(validRuleYaml("R1"), { actor: "w" });
    const reader = open({ url: db.url });
    const tail = reader.subscribeChanges({ fromSeq: 1 });
    await Promise.all(
      writers.flatMap((w, wi) =>
        Array.from({ length: 10 }, (_, i) => w.setState("R1", { state: i % 2 ? "disabled" : "enabled", reason: `${wi}-${i}` }, `w${wi}`)),
      ),
    );
    const seqs: number[] = [];
    while (seqs.length < 30) {
      const n = await tail.next();
      if (n.done) break;
      if (n.value.kind !== "resync") seqs.push(n.value.seq!);
    }
    await tail.return?.();
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    const history = await reader.history({ limit: 100 });
    // Each state row revision grew by one per write: commit order and seq order agree.
    expect(history.filter((h) => h.kind === "state")).toHaveLength(30);
  });

  it("NOTIFY wakes a second instance within milliseconds (polling set to a minute)", async () => {
    const a = open({ url: db.url, pgFallbackPollMs: 60_000 });
    const b = open({ url: db.url, pgFallbackPollMs: 60_000 });
    await Promise.all([a.ready(), b.ready()]);
    const sub = b.subscribeChanges();
    await a.upsertRule(validRuleYaml("R1"), { actor: "a" });
    expect((await sub.next()).value).toMatchObject({ kind: "definition", ruleId: "R1", seq: 1 });
    const lags: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const pending = sub.next();
      await a.setState("R1", { state: i % 2 ? "enabled" : "disabled" }, "a");
      const got = await pending;
      lags.push(performance.now() - t0);
      expect(got.value).toMatchObject({ kind: "state", ruleId: "R1", actor: "a" });
    }
    await sub.return?.();
    console.info(`pg NOTIFY write→other-instance delivery (ms): ${lags.map((l) => l.toFixed(1)).join(", ")}`);
    expect(Math.max(...lags)).toBeLessThan(5000);
  });

  it("listener killed with pg_terminate_backend, then every connection killed: tail and subscribers resume without loss", async () => {
    const a = open({ url: db.url });
    const b = open({ url: db.url, pgFallbackPollMs: 60_000 });
    await Promise.all([a.ready(), b.ready()]);
    await a.upsertRule(validRuleYaml("R1"), { actor: "a" });
    const start = await b.headSeq();
    const tail = b.subscribeChanges({ fromSeq: start });
    const sub = recordChanges(b.subscribeChanges());
    const tailed: RuleChange[] = [];
    const tailing = (async () => {
      for (;;) {
        const n = await tail.next();
        if (n.done) return;
        if (n.value.kind !== "resync") tailed.push(n.value);
      }
    })();
    expect(await terminateBackends(db.name, PG_LISTENER_APP_NAME)).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 10; i++) await retryBusy(() => a.setState("R1", { state: "disabled", reason: `after listener kill ${i}` }, "a"));
    // The subscriber may also get seq ≤ start (learnt after it subscribed); consumers skip those by seq.
    const subSeqs = (): number[] => changesOf(sub.events).map((c) => c.seq!).filter((s) => s > start);
    await waitFor(() => tailed.length >= 10 && subSeqs().length >= 10, 10_000, "10 changes after the listener was killed");
    await terminateBackends(db.name);
    for (let i = 0; i < 10; i++) await retryBusy(() => a.setState("R1", { state: "enabled", reason: `after full kill ${i}` }, "a"));
    await waitFor(() => tailed.length >= 20 && subSeqs().length >= 20, 15_000, "10 more changes after every connection was killed");
    const expected = Array.from({ length: 20 }, (_, i) => start + 1 + i);
    expect(tailed.map((c) => c.seq)).toEqual(expected);
    expect(subSeqs()).toEqual(expected);
    await tail.return?.();
    await tailing;
    await sub.stop();
  }, 40_000);

  it("expiry: three instances on one database revert once (one system:expiry row), promptly", async () => {
    const instances = [open({ url: db.url }), open({ url: db.url }), open({ url: db.url })];
    await Promise.all(instances.map((s) => s.ready()));
    await instances[0]!.upsertRule(validRuleYaml("R1"), { actor: "a" });
    const recs = instances.map((s) => recordChanges(s.subscribeChanges()));
    const expiresAt = inFuture(500);
    await instances[1]!.setState("R1", { state: "disabled", expires_at: expiresAt }, "b");
    await waitFor(() => recs.every((r) => changesOf(r.events).some((c) => c.kind === "state" && c.autoRevert)), 5000, "every instance to see the revert");
    await sleep(150);
    const reverts = (await instances[0]!.history({ limit: 50 })).filter((h) => h.actor === SYSTEM_EXPIRY_ACTOR);
    expect(reverts).toHaveLength(1);
    const lateness = Date.parse(reverts[0]!.at) - Date.parse(expiresAt);
    console.info(`pg expiry lateness: ${lateness} ms`);
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(1000);
    for (const r of recs) {
      expect(changesOf(r.events).filter((c) => c.kind === "state" && c.autoRevert)).toHaveLength(1);
      await r.stop();
    }
  });

  it("subscribe, load, apply seq > loaded: every change from a concurrent writer exactly once", async () => {
    await exactlyOnceScenario(
      () => open({ url: db.url }),
      () => open({ url: db.url }),
    );
  });

  it("methods wait for the lazy connection; close() before ready is clean", async () => {
    const s = new DatabaseRuleStore({ url: db.url });
    await s.close();
    await s.close();
    await expect(s.getState("R1")).rejects.toMatchObject({ code: "INTERNAL" });
    const t = open({ url: db.url });
    expect(await t.getState("Unknown")).toMatchObject({ state: "enabled" });
  });
});
