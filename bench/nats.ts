// `npm run bench -- nats`: the NATS JetStream data plane on its own nats-server (free port, temp
// store directory) with the sample rule pack. Throughput of 1 and 2 workers draining session
// envelopes already in the stream (db sink: SQLite file, then PostgreSQL), publish rate,
// publish → tag committed latency at a fixed rate, and faults (SIGKILL of a worker, a
// nats-server restart) checked against the engine's own evaluation of the same events.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { Worker as Thread } from "node:worker_threads";
import Database from "better-sqlite3";
import pg from "pg";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { connect, createInbox, headers, type NatsConnection } from "@nats-io/transport-node";
import { createTestPgDatabase } from "../db/testing/pg";
import { Engine } from "../lib/engine/engine";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { ensureConsumer, ensureStreams } from "../lib/worker/nats";
import { eventsFromMessage } from "../lib/worker/nats-envelope";
import { TestNatsServer } from "../lib/worker/testing/nats-server";
import { commandEvents } from "./corpus";
import { percentile } from "./store";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/loader.mjs");
const TTP = path.join(ROOT, "bin/ttp.ts");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface NatsBenchOptions {
  rulesDir: string;
  /** Session envelopes for the throughput runs (5 commands each; default 200,000). */
  sessions: number;
  /** Worker --batch (messages per pull). */
  batch: number;
  /** Parts to run (default all): "publish" and "drain" need each other's stream, so "drain" publishes too. */
  parts?: readonly ("drain" | "latency" | "faults")[];
  /** Worker counts for the drain runs (default 1 and 2). */
  workerCounts?: readonly number[];
  /** Databases for the drain runs (default both). */
  backends?: readonly ("sqlite" | "pg")[];
  /** Repeats of each drain run (default 1); the figure printed is the median, with min and max. */
  repeats?: number;
  /** `node --cpu-prof` every worker process into this directory. */
  cpuProfDir?: string;
}

let workerExecArgv: string[] = [];

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

class Worker {
  readonly proc: ChildProcess;
  readonly logs: Record<string, unknown>[] = [];
  readonly exit: Promise<number | null>;
  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.proc = spawn(process.execPath, [...workerExecArgv, "--import", TSX, TTP, "worker", "--role", "worker", "--report-interval", "0", ...args], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    children.add(this.proc);
    this.exit = new Promise((resolve) => this.proc.on("close", (code) => resolve(code)));
    this.proc.on("close", () => children.delete(this.proc));
    createInterface({ input: this.proc.stderr! }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      try {
        const e = JSON.parse(line) as Record<string, unknown>;
        this.logs.push(e);
        if (e.level === "error") process.stderr.write(`worker error: ${line}\n`);
      } catch {
        // partial line
      }
    });
  }
  async ready(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!this.logs.some((l) => l.message === "worker ready")) {
      if (Date.now() > deadline) throw new Error("worker not ready");
      await sleep(10);
    }
  }
  stop(): Promise<number | null> {
    this.proc.kill("SIGTERM");
    return this.exit;
  }
}

interface Ctx {
  server: TestNatsServer;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  tmp: string;
  packDb: string;
  commands: string[];
}

/** Session envelope i of a run: `attacker.session.ended` with 5 commands (also what bench/tag-store.ts inserts the tags of). */
export function sessionEnvelope(i: number, run: string, commands: string[], perSession = 5): { subject: string; id: string; data: string } {
  const id = `${run}-${i}`;
  const cmds: string[] = [];
  for (let k = 0; k < perSession; k++) cmds.push(commands[(i * perSession + k) % commands.length] as string);
  const payload = { session_id: `s-${id}`, attacker_uuid: `a-${i % 997}`, decky_id: `d-${i % 16}`, attacker_ip: "198.51.100.7", commands: cmds };
  return { subject: "attacker.session.ended", id, data: JSON.stringify({ v: 1, id, topic: "attacker.session.ended", type: "session.ended", ts: 1.7e9 + i / 1000, payload }) };
}

/** Publishes with up to `window` PubAcks outstanding; returns envelopes/s. */
async function publish(js: JetStreamClient, count: number, make: (i: number) => { subject: string; id: string; data: string }, prefix: string, window = 4000): Promise<number> {
  const t0 = performance.now();
  const inflight = new Set<Promise<unknown>>();
  for (let i = 0; i < count; i++) {
    const m = make(i);
    const p = js.publish(prefix + m.subject, m.data, { msgID: m.id });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (inflight.size >= window) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return count / ((performance.now() - t0) / 1000);
}

/**
 * Publishes to JetStream as plain core publishes with `Nats-Msg-Id` and one shared reply subject
 * for every PubAck (no per-message request, timer or promise), keeping up to `window` PubAcks
 * outstanding; an error PubAck or a missing one fails the run. Returns envelopes/s.
 */
async function publishBatched(nc: NatsConnection, count: number, make: (i: number) => { subject: string; id: string; data: string }, prefix: string, window = 8000): Promise<number> {
  const inbox = createInbox();
  let acked = 0;
  let failure: string | null = null;
  let wake: (() => void) | null = null;
  const sub = nc.subscribe(inbox, {
    callback: (err, m) => {
      if (err) failure ??= err.message;
      else if (m.data[2] === 0x65 /* {"error":… */) failure ??= m.string();
      acked++;
      const w = wake;
      wake = null;
      w?.();
    },
  });
  const waitFor = async (target: number): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (acked < target && failure === null) {
      if (Date.now() > deadline) throw new Error(`PubAcks missing: ${target - acked}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  const t0 = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const m = make(i);
      const h = headers();
      h.set("Nats-Msg-Id", m.id);
      nc.publish(prefix + m.subject, m.data, { headers: h, reply: inbox });
      if (i + 1 - acked >= window) await waitFor(i + 1 - window / 2);
      if (failure) throw new Error(`publish refused: ${failure}`);
    }
    await waitFor(count);
    if (failure) throw new Error(`publish refused: ${failure}`);
    return count / ((performance.now() - t0) / 1000);
  } finally {
    sub.unsubscribe();
  }
}

async function importPack(url: string, rulesDir: string): Promise<void> {
  const store = new DatabaseRuleStore({ url, expiry: false });
  for (const f of readdirSync(rulesDir).filter((x) => x.endsWith(".yaml")).sort()) {
    await store.upsertRule(readFileSync(path.join(rulesDir, f), "utf8"), { actor: "bench", origin: "import" });
  }
  await store.close();
}

async function waitDrained(jsm: JetStreamManager, stream: string, durable: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = await jsm.consumers.info(stream, durable).catch(() => null);
    if (i && i.num_pending === 0 && i.num_ack_pending === 0) return;
    if (Date.now() > deadline) throw new Error(`consumer ${durable} not drained: ${JSON.stringify({ pending: i?.num_pending, ack_pending: i?.num_ack_pending })}`);
    await sleep(20);
  }
}

/** Drains the stream with `n` workers into a fresh database; command events/s from the first worker ready to the last ack. */
async function drain(c: Ctx, o: { stream: string; prefix: string; durable: string; workers: number; dbUrl: string; sessions: number; threads: number; batch: number }): Promise<Record<string, unknown>> {
  await ensureConsumer(c.jsm, { stream: o.stream, durable: o.durable, ackWaitMs: 30_000, maxAckPending: 20_000 });
  const env = { ...process.env, TTP_RULE_STORE: "database", DATABASE_URL: o.dbUrl, TTP_LOG_LEVEL: "warn" };
  const args = ["--nats", c.server.url, "--stream", o.stream, "--subject-prefix", o.prefix, "--durable", o.durable, "--sink", "db", "--batch", String(o.batch), "--threads", String(o.threads)];
  const ws: Worker[] = [];
  const envLog = { ...env, TTP_LOG_LEVEL: "info" };
  for (let i = 0; i < o.workers; i++) ws.push(new Worker(["--id", `${o.durable}-${i}`, ...args], envLog));
  await Promise.race(ws.map((w) => w.ready()));
  const t0 = performance.now();
  await waitDrained(c.jsm, o.stream, o.durable, 600_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = ws.map((w) => cpuSeconds(w.proc.pid));
  await Promise.all(ws.map((w) => w.stop()));
  const perWorker = ws.map((w) => (w.logs.find((l) => l.message === "input finished") as { events?: number } | undefined)?.events ?? null);
  const commandsTotal = o.sessions * 5;
  return {
    workers: o.workers,
    threads: o.threads,
    seconds: Number(seconds.toFixed(2)),
    command_events_per_s: Math.round(commandsTotal / seconds),
    all_events_per_s: Math.round((commandsTotal + o.sessions) / seconds),
    envelopes_per_s: Math.round(o.sessions / seconds),
    events_per_worker: perWorker,
    // CPU seconds (user + system) of each worker process from its start: less sensitive to other load than the rate.
    worker_cpu_s: cpu.map((x) => (x === null ? null : Number(x.toFixed(1)))),
  };
}

/** User + system CPU seconds of a process so far (Linux /proc), or null. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function sqliteTags(file: string): { uuid: string; created_at: string; source_id: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT uuid, created_at, source_id FROM ttp_tag").all() as { uuid: string; created_at: string; source_id: string }[];
  } finally {
    db.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

/** Runs a drain `repeats` times; prints the median run's figures with the spread of command events/s. */
async function drainRepeated(figure: string, repeats: number, run: (k: number) => Promise<Record<string, unknown>>): Promise<void> {
  const runs: Record<string, unknown>[] = [];
  for (let k = 0; k < repeats; k++) runs.push(await run(k));
  const rates = runs.map((r) => r.command_events_per_s as number);
  const mid = runs.find((r) => r.command_events_per_s === median(rates)) as Record<string, unknown>;
  const spread = repeats > 1 ? { runs: repeats, command_events_per_s_min: Math.min(...rates), command_events_per_s_max: Math.max(...rates), all_runs: rates } : {};
  console.log(JSON.stringify({ figure, ...mid, ...spread, load_average: loadavg().map((x) => Number(x.toFixed(2))) }));
}

async function throughput(c: Ctx, o: NatsBenchOptions): Promise<void> {
  const stream = "BENCH";
  const prefix = "bench.";
  const workerCounts = o.workerCounts ?? [1, 2];
  const backends = o.backends ?? ["sqlite", "pg"];
  const repeats = Math.max(1, o.repeats ?? 1);
  await ensureStreams(c.jsm, { stream, prefix });
  // For reference: one js.publish (a request with its own reply, timer and promise) per envelope.
  await ensureStreams(c.jsm, { stream: "PUBREF", prefix: "pubref." });
  const refCount = Math.min(o.sessions, 100_000);
  const ref = await publish(c.js, refCount, (i) => sessionEnvelope(i, "ref", c.commands), "pubref.");
  await c.jsm.streams.delete("PUBREF");
  await c.jsm.streams.delete("PUBREF_TTP");
  console.log(JSON.stringify({ figure: "publish rate, one js.publish per envelope (4000 PubAcks outstanding; reference)", envelopes: refCount, envelopes_per_s: Math.round(ref), load_average: loadavg().map((x) => Number(x.toFixed(2))) }));
  const rate = await publishBatched(c.nc, o.sessions, (i) => sessionEnvelope(i, "tp", c.commands), prefix);
  console.log(JSON.stringify({ figure: "publish rate (core publishes with Nats-Msg-Id, PubAcks on one reply subject, 8000 outstanding)", envelopes: o.sessions, envelopes_per_s: Math.round(rate), command_events_per_s: Math.round(rate * 5), load_average: loadavg().map((x) => Number(x.toFixed(2))) }));
  const info = await c.jsm.streams.info(stream);
  if (info.state.messages !== o.sessions) throw new Error(`stream ${stream} holds ${info.state.messages} envelopes, expected ${o.sessions}`);
  if (backends.includes("sqlite")) {
    for (const workers of workerCounts) {
      await drainRepeated("drain + tag, db sink SQLite file", repeats, async (k) => {
        const db = path.join(c.tmp, `tp-${workers}-${k}.db`);
        copyFileSync(c.packDb, db);
        const r = await drain(c, { stream, prefix, durable: `tp${workers}r${k}`, workers, dbUrl: `file:${db}`, sessions: o.sessions, threads: 0, batch: o.batch });
        const tags = sqliteTags(db).length;
        rmSync(db, { force: true });
        return { ...r, tags };
      });
    }
  }
  if (!backends.includes("pg")) return;
  let pgDb: Awaited<ReturnType<typeof createTestPgDatabase>> | null = null;
  try {
    pgDb = await createTestPgDatabase();
    await importPack(pgDb.url, o.rulesDir);
    const url = pgDb.url;
    for (const workers of workerCounts) {
      await drainRepeated("drain + tag, db sink PostgreSQL", repeats, async (k) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query("TRUNCATE ttp_tag");
        const r = await drain(c, { stream, prefix, durable: `tppg${workers}r${k}`, workers, dbUrl: url, sessions: o.sessions, threads: 0, batch: o.batch });
        const n = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM ttp_tag")).rows[0]?.n);
        await client.end();
        return { ...r, tags: n };
      });
    }
  } catch (err) {
    console.log(JSON.stringify({ figure: "drain + tag, db sink PostgreSQL", skipped: err instanceof Error ? err.message : String(err) }));
  } finally {
    await pgDb?.drop();
  }
}

/** Monotonic milliseconds, one clock for every thread of the process (performance.now() counts from each thread's own origin). */
const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Date.now() − monoMs(), read at ticks of Date.now() (performance.timeOrigin can be a millisecond or
 * more off); the largest of several readings, since a preemption between the two reads only lowers one.
 */
function wallOffset(): number {
  let best = -Infinity;
  for (let k = 0; k < 8; k++) {
    const d0 = Date.now();
    let d = d0;
    while (d === d0) d = Date.now();
    best = Math.max(best, d - monoMs());
  }
  return best;
}

// A reader thread polls the worker's SQLite file every millisecond and notes when each event's first
// tag became visible: an upper bound of its commit time, taken off the publisher's event loop.
const COMMIT_OBSERVER = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.sqlite);
const wall = () => Number(process.hrtime.bigint()) / 1e6 + workerData.offset;
const flag = new Int32Array(workerData.stop);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
const q = db.prepare("SELECT rowid AS r, source_id AS s FROM ttp_tag WHERE rowid > ? ORDER BY rowid");
const seen = new Map();
let last = 0;
let polls = 0;
for (;;) {
  const stop = Atomics.load(flag, 0) === 1;
  const at = wall();
  for (const row of q.iterate(last)) {
    last = row.r;
    if (!seen.has(row.s)) seen.set(row.s, at);
  }
  polls++;
  if (stop) break;
  Atomics.wait(flag, 0, 0, 1);
}
db.close();
parentPort.postMessage({ seen: [...seen], polls });
`;

function observeCommits(file: string, offset: number): { stop(): Promise<{ seen: Map<string, number>; polls: number }> } {
  const stopFlag = new SharedArrayBuffer(4);
  const t = new Thread(COMMIT_OBSERVER, { eval: true, workerData: { file, offset, stop: stopFlag, sqlite: require.resolve("better-sqlite3") } });
  const result = new Promise<{ seen: Map<string, number>; polls: number }>((resolve, reject) => {
    t.once("message", (m: { seen: [string, number][]; polls: number }) => resolve({ seen: new Map(m.seen), polls: m.polls }));
    t.once("error", reject);
  });
  return {
    stop() {
      const f = new Int32Array(stopFlag);
      Atomics.store(f, 0, 1);
      Atomics.notify(f, 0);
      return result;
    },
  };
}

const ms1 = (x: number): number => Number(x.toFixed(1));

async function latency(c: Ctx): Promise<void> {
  const stream = "LAT";
  const prefix = "lat.";
  await ensureStreams(c.jsm, { stream, prefix });
  const db = path.join(c.tmp, "lat.db");
  copyFileSync(c.packDb, db);
  const env = { ...process.env, TTP_RULE_STORE: "database", DATABASE_URL: `file:${db}`, TTP_LOG_LEVEL: "info" };
  const w = new Worker(["--id", "lat", "--nats", c.server.url, "--stream", stream, "--subject-prefix", prefix, "--durable", "lat", "--sink", "db"], env);
  await w.ready();
  const offset = wallOffset();
  const wall = (): number => monoMs() + offset;
  const observer = observeCommits(db, offset);
  const rate = 5000;
  const seconds = 10;
  // A fresh worker's first few hundred milliseconds are slower (cold code and caches): one second at
  // the same rate goes first and is reported on its own, the figure is the 10 s after it.
  const warm = rate;
  const total = warm + rate * seconds;
  const window = 2000;
  const sent = new Map<string, number>();
  const late: number[] = [];
  // Core publishes with Nats-Msg-Id and a reply subject per message, every PubAck checked: what
  // js.publish sends, without its per-request timer, promise and two Error objects (about half a
  // core at this rate on the 2 cores the worker and nats-server need).
  const inbox = createInbox();
  let acked = 0;
  let failed = 0;
  let wake: (() => void) | null = null;
  const sub = c.nc.subscribe(`${inbox}.*`, {
    callback: (err, m) => {
      acked++;
      if (err || m.data[2] === 0x65 /* {"error":… */) {
        failed++;
        const k = Number(m.subject.slice(inbox.length + 1));
        sent.delete(k < warm ? `warm-${k}` : `lat-${k - warm}`);
      }
      const wk = wake;
      wake = null;
      wk?.();
    },
  });
  const ackedAtLeast = async (n: number, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (acked < n && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  const cpu0 = process.cpuUsage();
  const workerCpu0 = cpuSeconds(w.proc.pid);
  const t0 = wall();
  let i = 0;
  while (i < total) {
    // Publish every message that is due, then sleep until the next one is: each wait lets the event
    // loop flush the client's buffer (a burst goes out at once) and read PubAcks.
    const due = Math.min(total, Math.floor(((wall() - t0) / 1000) * rate) + 1);
    for (; i < due; i++) {
      // At most `window` PubAcks outstanding; a wait here shows up as lateness.
      if (i - acked >= window) await ackedAtLeast(i - window + 1, 30_000);
      const id = i < warm ? `warm-${i}` : `lat-${i - warm}`;
      const h = headers();
      h.set("Nats-Msg-Id", id);
      const at = wall();
      sent.set(id, at);
      // How late the publisher is against its schedule: not part of the latency.
      late.push(at - (t0 + (i / rate) * 1000));
      c.nc.publish(`${prefix}ttp.input.command`, JSON.stringify({ source_id: id, attacker_uuid: "a", payload: { command_text: c.commands[i % c.commands.length] as string } }), { headers: h, reply: `${inbox}.${i}` });
    }
    if (i < total) await sleep(Math.max(0, t0 + (i / rate) * 1000 - wall()));
  }
  const publishSeconds = (wall() - t0) / 1000;
  await ackedAtLeast(total, 30_000);
  sub.unsubscribe();
  failed += total - acked;
  await waitDrained(c.jsm, stream, "lat", 60_000);
  const cpu = process.cpuUsage(cpu0);
  const workerCpu = cpuSeconds(w.proc.pid);
  const { seen, polls } = await observer.stop();
  await w.stop();
  const stamped = new Map<string, number>();
  for (const t of sqliteTags(db)) {
    const at = Date.parse(t.created_at);
    const prev = stamped.get(t.source_id);
    if (prev === undefined || at < prev) stamped.set(t.source_id, at);
  }
  const committed: number[] = [];
  const stampedLat: number[] = [];
  const warmup: number[] = [];
  let unseen = 0;
  for (const [id, at] of stamped) {
    const s = sent.get(id);
    if (s === undefined) continue;
    const v = seen.get(id);
    if (id.startsWith("warm-")) {
      if (v !== undefined) warmup.push(v - s);
      continue;
    }
    stampedLat.push(at - s);
    if (v === undefined) unseen++;
    else committed.push(v - s);
  }
  committed.sort((a, b) => a - b);
  stampedLat.sort((a, b) => a - b);
  warmup.sort((a, b) => a - b);
  late.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      figure: "latency publish → tag committed, 5,000 events/s for 10 s after 1 s of warm-up, 1 worker, SQLite (committed = first seen by a reader polling the file every 1 ms)",
      events: total - warm,
      publish_failures: failed,
      tagged_events: stampedLat.length,
      p50_ms: ms1(percentile(committed, 50)),
      p99_ms: ms1(percentile(committed, 99)),
      max_ms: ms1(committed[committed.length - 1] ?? NaN),
      // created_at is stamped just before the insert transaction and floored to the millisecond: a lower bound.
      created_at_p50_ms: ms1(percentile(stampedLat, 50)),
      created_at_p99_ms: ms1(percentile(stampedLat, 99)),
      not_seen_by_reader: unseen,
      warmup_second: { p50_ms: ms1(percentile(warmup, 50)), p99_ms: ms1(percentile(warmup, 99)), max_ms: ms1(warmup[warmup.length - 1] ?? NaN) },
      reader_polls: polls,
      publisher: { events_per_s: Math.round(total / publishSeconds), late_p50_ms: ms1(percentile(late, 50)), late_p99_ms: ms1(percentile(late, 99)) },
      cpu_s: { bench: ms1((cpu.user + cpu.system) / 1e6), worker: workerCpu === null || workerCpu0 === null ? null : ms1(workerCpu - workerCpu0) },
      load_average: loadavg().map((x) => Number(x.toFixed(2))),
    }),
  );
}

async function faults(c: Ctx): Promise<void> {
  const stream = "FAULT";
  const prefix = "fault.";
  const sessions = 40_000;
  await ensureStreams(c.jsm, { stream, prefix });
  const db = path.join(c.tmp, "fault.db");
  copyFileSync(c.packDb, db);
  const engine = new Engine();
  const store = new DatabaseRuleStore({ url: `file:${db}`, expiry: false });
  engine.replaceAll((await store.loadCompiled()).rules);
  await store.close();
  const expected = new Set<string>();
  for (let i = 0; i < sessions; i++) {
    const m = sessionEnvelope(i, "fault", c.commands);
    const r = eventsFromMessage(m.subject, m.data);
    if (r.ok) for (const e of r.events) for (const t of engine.evaluate(e)) if (t.confidence >= 0.3) expected.add(t.uuid);
  }
  await ensureConsumer(c.jsm, { stream, durable: "fault", ackWaitMs: 5000, maxAckPending: 20_000 });
  const env = { ...process.env, TTP_RULE_STORE: "database", DATABASE_URL: `file:${db}`, TTP_LOG_LEVEL: "info" };
  const args = ["--nats", c.server.url, "--stream", stream, "--subject-prefix", prefix, "--durable", "fault", "--sink", "db", "--ack-wait", "5s", "--batch", "200"];
  const a = new Worker(["--id", "fa", ...args], env);
  const b = new Worker(["--id", "fb", ...args], env);
  await Promise.all([a.ready(), b.ready()]);
  const count = (): number => {
    const d = new Database(db, { readonly: true });
    try {
      return (d.prepare("SELECT count(*) AS n FROM ttp_tag").get() as { n: number }).n;
    } finally {
      d.close();
    }
  };
  const publishing = publish(c.js, sessions, (i) => sessionEnvelope(i, "fault", c.commands), prefix, 1000);
  while (count() < expected.size * 0.25) await sleep(20);
  a.proc.kill("SIGKILL");
  const killedAt = performance.now();
  await a.exit;
  const atKill = count();
  while (count() <= atKill) await sleep(5);
  const killGap = performance.now() - killedAt;
  while (count() < expected.size * 0.6) await sleep(20);
  await publishing;
  await c.server.stop();
  const stoppedAt = performance.now();
  await sleep(1000);
  await c.server.resume();
  const resumedAt = performance.now();
  const atRestart = count();
  while (count() <= atRestart && count() < expected.size) await sleep(5);
  const restartGap = performance.now() - resumedAt;
  const drainStart = performance.now();
  const deadline = Date.now() + 180_000;
  while (count() < expected.size && Date.now() < deadline) await sleep(50);
  const all = sqliteTags(db).map((t) => t.uuid);
  const got = new Set(all);
  let missing = 0;
  for (const id of expected) if (!got.has(id)) missing++;
  let extra = 0;
  for (const id of got) if (!expected.has(id)) extra++;
  await b.stop();
  console.log(
    JSON.stringify({
      figure: "faults: 2 workers, SIGKILL one at 25% of the tags, nats-server stopped for 1 s at 60%; AckWait 5 s",
      sessions,
      expected_tags: expected.size,
      tags_lost: missing,
      tags_unexpected: extra,
      duplicate_rows: all.length - got.size,
      kill_to_next_commit_ms: Math.round(killGap),
      server_down_ms: Math.round(resumedAt - stoppedAt),
      server_up_to_next_commit_ms: Math.round(restartGap),
      server_up_to_all_tags_ms: Math.round(performance.now() - drainStart + restartGap),
    }),
  );
}

export async function benchNats(o: NatsBenchOptions): Promise<void> {
  const server = await TestNatsServer.start();
  const tmp = mkdtempSync(path.join(tmpdir(), "ttp-bench-nats-"));
  const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  try {
    const packDb = path.join(tmp, "pack.db");
    await importPack(`file:${packDb}`, o.rulesDir);
    const commands = commandEvents(50_000).map((e) => String((e.payload as { command_text?: unknown }).command_text ?? "id"));
    const c: Ctx = { server, nc, js: jetstream(nc, { timeout: 30_000 }), jsm: await jetstreamManager(nc), tmp, packDb, commands };
    workerExecArgv = o.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", o.cpuProfDir] : [];
    console.log(JSON.stringify({ setup: "nats-server 2.9 (own, free port), sample pack, 5 commands per session envelope", nats_url: server.url, load_average: loadavg().map((x) => Number(x.toFixed(2))) }));
    const parts = o.parts ?? ["drain", "latency", "faults"];
    if (parts.includes("drain")) await throughput(c, o);
    if (parts.includes("latency")) await latency(c);
    if (parts.includes("faults")) await faults(c);
  } finally {
    await nc.close().catch(() => undefined);
    await server.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}
