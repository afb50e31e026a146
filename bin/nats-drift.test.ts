// The drift report of a NATS worker (a real nats-server, a real `ttp worker` process): its row
// names the input, stream, durable and the consumer's pending count, and its per-minute fire
// counts add up to the per-rule totals it reported. And the master's 7-day retention of them.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { ensureStreams } from "../lib/worker/nats";
import { TestNatsServer } from "../lib/worker/testing/nats-server";
import { killAll, ROOT, WorkerProc, waitUntil } from "../lib/worker/testing/worker-proc";

let tmp: string;
let server: TestNatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ttp-nats-drift-"));
  server = await TestNatsServer.start();
  nc = await connect({ servers: server.url });
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
  await rm(tmp, { recursive: true, force: true });
});

afterEach(async () => {
  await killAll();
});

interface WorkerRow {
  input_kind: string | null;
  nats_stream: string | null;
  nats_durable: string | null;
  nats_pending: number | null;
  status: string;
}

describe("the drift report of a NATS worker", () => {
  it("stores input kind, stream, durable and pending; minute buckets sum to the reported fires", async () => {
    const stream = "DRIFT1";
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { stream, prefix: "" });
    const dbFile = path.join(tmp, "drift.db");
    const store = new DatabaseRuleStore({ url: `file:${dbFile}`, expiry: false });
    const dir = path.join(ROOT, "rules/ttp");
    for (const f of (await readdir(dir)).filter((x) => x.endsWith(".yaml")).sort()) {
      await store.upsertRule(await readFile(path.join(dir, f), "utf8"), { actor: "test", origin: "import" });
    }
    await store.close();
    const js = jetstream(nc);
    for (let i = 0; i < 40; i++) {
      const payload = { session_id: `sess-d${i}`, attacker_uuid: `att-${i % 5}`, commands: ["uname -a", "cat /etc/shadow"] };
      await js.publish("attacker.session.ended", JSON.stringify({ v: 1, id: `d${i}`, topic: "attacker.session.ended", type: "session.ended", ts: 1.7e9 + i, payload }), { msgID: `d${i}` });
    }

    const env = { ...process.env, TTP_RULE_STORE: "database", DATABASE_URL: `file:${dbFile}`, TTP_LOG_LEVEL: "info" };
    const w = new WorkerProc("drift-w1", ["worker", "--role", "worker", "--id", "drift-w1", "--nats", server.url, "--stream", stream, "--durable", "drifters", "--sink", "db", "--report-interval", "100ms"], env);
    await w.waitReady(30_000);
    const read = <T,>(q: string, ...params: unknown[]): T[] => {
      const db = new Database(dbFile, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(q).all(...params) as T[];
      } finally {
        db.close();
      }
    };
    // Drained and reported: the consumer has nothing left for the group, and the row says so.
    const row = await waitUntil(() => {
      const [r] = read<WorkerRow>("SELECT input_kind, nats_stream, nats_durable, nats_pending, status FROM ttp_worker WHERE worker_id = 'drift-w1'");
      return r && r.nats_pending === 0 && read<{ n: number }>("SELECT count(*) AS n FROM ttp_tag")[0]!.n > 0 ? r : undefined;
    }, "a report with the consumer drained", 30_000);
    expect(row).toMatchObject({ input_kind: "nats", nats_stream: stream, nats_durable: "drifters", nats_pending: 0 });

    await w.stop();
    const totals = read<{ rule_id: string; fires: number }>("SELECT rule_id, fires FROM ttp_rule_stats WHERE worker_id = 'drift-w1' ORDER BY rule_id");
    const minutes = read<{ rule_id: string; fires: number }>("SELECT rule_id, sum(fires) AS fires FROM ttp_rule_fires_minute WHERE worker_id = 'drift-w1' GROUP BY rule_id ORDER BY rule_id");
    expect(totals.length).toBeGreaterThan(0);
    expect(minutes).toEqual(totals);
    expect(read<WorkerRow>("SELECT status FROM ttp_worker WHERE worker_id = 'drift-w1'")[0]?.status).toBe("stopped");
  }, 90_000);
});

describe("per-minute fire counts retention", () => {
  it("the master deletes minute rows older than 7 days at start and keeps the newer ones", async () => {
    const rulesDir = path.join(tmp, "rules");
    await mkdir(rulesDir, { recursive: true });
    await copyFile(path.join(ROOT, "rules/ttp/R1001.yaml"), path.join(rulesDir, "R1001.yaml"));
    const dbFile = path.join(tmp, "retention.db");
    const store = new DatabaseRuleStore({ url: `file:${dbFile}`, expiry: false });
    await store.close();
    const nowMinute = Math.floor(Date.now() / 60_000);
    const db = new Database(dbFile);
    try {
      const iso = new Date().toISOString();
      db.prepare("INSERT INTO ttp_worker (worker_id, role, hostname, pid, status, rule_count, events_total, tags_total, malformed_total, report_interval_ms, started_at, last_seen_at) VALUES ('old-w', 'worker', 'h', 1, 'stopped', 0, 0, 0, 0, 5000, ?, ?)").run(iso, iso);
      const ins = db.prepare("INSERT INTO ttp_rule_fires_minute (worker_id, rule_id, minute, fires) VALUES ('old-w', 'R1001', ?, 1)");
      for (const ago of [8 * 24 * 60, 7 * 24 * 60 + 5, 7 * 24 * 60 - 5, 60]) ins.run(nowMinute - ago);
    } finally {
      db.close();
    }
    const env = { ...process.env, TTP_RULE_STORE: "database", TTP_RULES_DIR: rulesDir, DATABASE_URL: `file:${dbFile}`, TTP_LOG_LEVEL: "info" };
    const master = new WorkerProc("master", ["worker", "--role", "master", "--id", "retention-master", "--report-interval", "0"], env);
    await master.waitReady(30_000);
    await waitUntil(() => master.log("pruned per-minute fire counts past the retention"), "the prune", 30_000);
    await master.stop();
    const left = new Database(dbFile, { readonly: true });
    try {
      const minutes = (left.prepare("SELECT minute FROM ttp_rule_fires_minute ORDER BY minute").all() as { minute: number }[]).map((r) => nowMinute - r.minute);
      expect(minutes).toEqual([7 * 24 * 60 - 5, 60]);
    } finally {
      left.close();
    }
    expect(master.log("pruned per-minute fire counts past the retention")).toMatchObject({ deleted: 2, retention_days: 7 });
  }, 60_000);
});
