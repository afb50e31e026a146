// What the tag store alone can take: the ceiling under the NATS drain figure (issue 12).
//
// The drain figure asks for 100,000 command events/s tagged into one SQLite file. Every tag is one
// `ttp_tag` row keyed by its UUIDv5 (the exactly-once contract), and an SQLite file has one writer
// at a time however many workers share it. This bench builds the very rows a drain writes — the
// NATS bench's session envelopes, fanned out by the worker's own code (eventsFromMessage), evaluated
// by the engine with the sample pack and the worker's default confidence floor — and times only
// their insertion, with nothing else running: no NATS, no parsing, no evaluation. Whatever the
// workers do, they cannot drain faster than this.
//
// (1) the worker's own sink path (WorkerDb.insertTags) into an SQLite file with the shipped
//     migrations, one transaction per sink batch of 1,000 events' tags and per ≈ 40,000 tags (the
//     db sink's most, which a backlog fills); (2) the bare better-sqlite3 loop beneath it (one
//     prepared INSERT per row, in key order) with the shipped schema, without its three secondary
//     indexes, and with a minimal 3-column row keyed by the same UUIDs — what no schema change short
//     of dropping per-tag rows can beat —, up to 200 batches per transaction; (3) PostgreSQL through
//     WorkerDb.insertTags, one writer and two concurrent writers (its writers do not serialise).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { createTestPgDatabase } from "../db/testing/pg";
import { Engine } from "../lib/engine/engine";
import { DEFAULT_MIN_CONFIDENCE, type Tag } from "../lib/engine/types";
import { loadRulesDir } from "../lib/rules/rule-files";
import { WorkerDb } from "../lib/worker/worker-db";
import { eventsFromMessage } from "../lib/worker/nats-envelope";
import { commandEvents } from "./corpus";
import { sessionEnvelope } from "./nats";

export interface TagStoreBenchOptions {
  rulesDir: string;
  /** Session envelopes (5 commands each), as the NATS drain figure's 200,000. */
  sessions: number;
  /** Events per sink batch (`ttp worker --batch`). */
  batch: number;
}

const ROOT = path.resolve(__dirname, "..");
const MIGRATION = path.join(ROOT, "db/migrations/sqlite/0002_worker.sql");
const COLUMNS = ["uuid", "source_kind", "source_id", "attacker_uuid", "identity_uuid", "session_id", "decky_id", "tactic", "technique_id", "sub_technique_id", "confidence", "rule_id", "rule_version", "evidence", "worker_id", "created_at"];

interface Batches {
  /** Tags of `batch` consecutive events each (events without tags count too). */
  batches: Tag[][];
  events: number;
  tags: number;
}

async function buildTags(o: TagStoreBenchOptions): Promise<Batches> {
  const loaded = await loadRulesDir(o.rulesDir);
  const engine = new Engine();
  engine.replaceAll(loaded.rules);
  const commands = commandEvents(50_000).map((e) => String((e.payload as { command_text?: unknown }).command_text ?? "id"));
  const batches: Tag[][] = [];
  let current: Tag[] = [];
  let inBatch = 0;
  let events = 0;
  let tags = 0;
  for (let i = 0; i < o.sessions; i++) {
    const m = sessionEnvelope(i, "tagstore", commands);
    const r = eventsFromMessage(m.subject, m.data);
    if (!r.ok) throw new Error(`envelope ${i}: ${r.reason}`);
    for (const e of r.events) {
      // The figure counts command events (the session event itself is evaluated and its tags written too).
      if (e.source_kind === "command") events++;
      for (const t of engine.evaluate(e)) {
        if (t.confidence < DEFAULT_MIN_CONFIDENCE) continue;
        current.push(t);
        tags++;
      }
      if (++inBatch === o.batch) {
        batches.push(current);
        current = [];
        inBatch = 0;
      }
    }
  }
  if (current.length > 0) batches.push(current);
  return { batches, events, tags };
}

/** Transactions of `per` sink batches each (the sink writes up to 40,000 tags at once, which a backlog fills). */
function merged(batches: readonly Tag[][], per: number): Tag[][] {
  const out: Tag[][] = [];
  for (let i = 0; i < batches.length; i += per) out.push(batches.slice(i, i + per).flat());
  return out;
}

const rate = (n: number, ms: number): string => Math.round(n / (ms / 1000)).toLocaleString("en-US");

function line(label: string, rows: number, events: number, ms: number, cpuUs: number | null): string {
  const cpu = cpuUs === null ? "" : `, CPU ${(cpuUs / rows).toFixed(1)} µs/row`;
  return `  ${label}: ${rate(rows, ms)} rows/s (${((ms * 1000) / rows).toFixed(1)} µs/row${cpu}) = ${rate(events, ms)} command events/s`;
}

async function viaWorkerDb(url: string, parts: Tag[][][]): Promise<number> {
  const dbs = parts.map(() => new WorkerDb(url));
  try {
    // Connected and migrated before the clock starts (an empty insert returns without connecting: one
    // row each, the same key, so the table grows by one row).
    await Promise.all(dbs.map((db) => db.insertTags([dummyTag()], "warm-up", new Date().toISOString())));
    const t0 = performance.now();
    await Promise.all(
      parts.map(async (batches, k) => {
        const db = dbs[k] as WorkerDb;
        for (const b of batches) await db.insertTags(b, `bench-${k}`, new Date().toISOString());
      }),
    );
    return performance.now() - t0;
  } finally {
    for (const db of dbs) await db.close();
  }
}

function dummyTag(): Tag {
  return {
    uuid: "00000000-0000-5000-8000-000000000000", source_kind: "command", source_id: "warm-up", attacker_uuid: null, identity_uuid: null, session_id: null, decky_id: null,
    tactic: "TA0002", technique_id: "T1059", sub_technique_id: null, confidence: 0.5, rule_id: "R0000", rule_version: 1, evidence: {},
  } as Tag;
}

/** One prepared INSERT per row in key order, one transaction per batch; returns [ms, CPU µs]. */
function bare(file: string, schema: "shipped" | "no-secondary" | "minimal", batches: Tag[][]): [number, number] {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("cache_size = -65536");
    db.pragma("wal_autocheckpoint = 4000");
    let insert: Database.Statement;
    let values: (t: Tag, now: string) => unknown[];
    if (schema === "minimal") {
      db.exec("CREATE TABLE ttp_tag (uuid text PRIMARY KEY NOT NULL, rule_id text NOT NULL, source_id text NOT NULL)");
      insert = db.prepare("INSERT INTO ttp_tag VALUES (?, ?, ?) ON CONFLICT (uuid) DO NOTHING");
      values = (t) => [t.uuid, t.rule_id, t.source_id];
    } else {
      const ddl = readFileSync(MIGRATION, "utf8").split("--> statement-breakpoint").filter((s) => s.includes("ttp_tag"));
      for (const s of ddl) if (schema === "shipped" || !/CREATE INDEX/.test(s)) db.exec(s);
      insert = db.prepare(`INSERT INTO ttp_tag (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")}) ON CONFLICT (uuid) DO NOTHING`);
      values = (t, now) => [t.uuid, t.source_kind, t.source_id, t.attacker_uuid, t.identity_uuid, t.session_id, t.decky_id, t.tactic, t.technique_id, t.sub_technique_id, t.confidence, t.rule_id, t.rule_version, JSON.stringify(t.evidence), "bench", now];
    }
    const tx = db.transaction((rows: Tag[], now: string) => {
      for (const t of rows) insert.run(values(t, now));
    });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const b of batches) tx([...b].sort((x, y) => (x.uuid < y.uuid ? -1 : x.uuid > y.uuid ? 1 : 0)), new Date().toISOString());
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return [ms, c.user + c.system];
  } finally {
    db.close();
  }
}

export async function benchTagStore(options: Partial<TagStoreBenchOptions> = {}): Promise<void> {
  const o: TagStoreBenchOptions = { rulesDir: "rules/ttp", sessions: 200_000, batch: 1000, ...options };
  const tmp = mkdtempSync(path.join(tmpdir(), "ttp-bench-tagstore-"));
  try {
    const { batches, events, tags } = await buildTags(o);
    console.log(
      `tag-store: ${o.sessions.toLocaleString("en-US")} session envelopes → ${events.toLocaleString("en-US")} command events (+ the session events) → ${tags.toLocaleString("en-US")} tags ` +
        `(${(tags / events).toFixed(2)} per command event, ${o.rulesDir}, floor ${DEFAULT_MIN_CONFIDENCE}), in ${batches.length} batches of ${o.batch} events; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    );
    // Transactions of `per` sink batches each: the sink writes up to 40,000 tags at once (DbTagSink
    // batchSize), which a backlog fills; one batch (1,000 events) was its size before.
    const sinkSize = Math.max(1, Math.floor(40_000 / Math.max(1, tags / batches.length)));
    console.log(`SQLite file (one writer at a time, whatever the number of workers); transactions of 1 batch (${Math.round(tags / batches.length).toLocaleString("en-US")} tags), ${sinkSize} batches (≈ 40,000 tags, the sink's most) and 200 batches:`);
    for (const per of [1, sinkSize]) {
      const ms = await viaWorkerDb(`file:${path.join(tmp, `worker-${per}.db`)}`, [merged(batches, per)]);
      console.log(line(`WorkerDb.insertTags (the db sink's own path), shipped schema, ${per} batch(es) per transaction`, tags, events, ms, null));
    }
    for (const schema of ["shipped", "no-secondary", "minimal"] as const) {
      for (const per of schema === "shipped" ? [1, sinkSize, 200] : [sinkSize, 200]) {
        const [ms, cpu] = bare(path.join(tmp, `${schema}-${per}.db`), schema, merged(batches, per));
        const label = schema === "shipped" ? "bare better-sqlite3 loop, shipped schema" : schema === "no-secondary" ? "bare loop, without the 3 secondary indexes" : "bare loop, a minimal row (uuid key, rule_id, source_id)";
        console.log(line(`${label}, ${per} batch(es) per transaction`, tags, events, ms, cpu));
      }
    }
    console.log("PostgreSQL (127.0.0.1, same machine; a fresh database per case):");
    const halves = [batches.filter((_, i) => i % 2 === 0), batches.filter((_, i) => i % 2 === 1)];
    for (const [label, parts] of [["WorkerDb.insertTags, 1 writer, 1 batch per transaction", [batches]], ["WorkerDb.insertTags, 2 concurrent writers (alternate batches)", halves], [`WorkerDb.insertTags, 2 concurrent writers, ${sinkSize} batches per transaction`, halves.map((h) => merged(h, sinkSize))]] as const) {
      const pg = await createTestPgDatabase();
      try {
        console.log(line(label, tags, events, await viaWorkerDb(pg.url, [...parts]), null));
      } finally {
        await pg.drop();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
