import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPgDatabase, type TestPgDatabase } from "../../db/testing/pg";
import type { Tag } from "../engine/types";
import { PG_WORKER_APP_NAME, WorkerDb, type WorkerReport } from "./worker-db";

let dir: string;
let pgDb: TestPgDatabase;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ttp-worker-db-"));
  pgDb = await createTestPgDatabase();
});
afterAll(async () => {
  await pgDb.drop();
  await rm(dir, { recursive: true, force: true });
});

const tag = (uuid: string, extra: Partial<Tag> = {}): Tag => ({
  uuid,
  source_kind: "command",
  source_id: `cmd-${uuid}`,
  attacker_uuid: "att-1",
  identity_uuid: null,
  session_id: "s-1",
  decky_id: null,
  tactic: "TA0007",
  technique_id: "T1082",
  sub_technique_id: null,
  confidence: 0.3,
  rule_id: "R1",
  rule_version: 2,
  evidence: { command_text: "uname -a", uid: 0 },
  ...extra,
});

const report = (over: Partial<WorkerReport> = {}): WorkerReport => ({
  workerId: "w-1",
  role: "worker",
  hostname: "host",
  pid: 42,
  status: "ok",
  appliedSeq: 10,
  headSeq: 12,
  ruleCount: 3,
  eventsTotal: 5_000_000_000,
  tagsTotal: 7,
  malformedTotal: 1,
  reportIntervalMs: 5000,
  inputKind: "file",
  natsStream: null,
  natsDurable: null,
  natsPending: null,
  startedAt: "2030-01-01T00:00:00.000Z",
  lastSeenAt: "2030-01-01T00:00:05.000Z",
  ...over,
});

/** Stored ttp_tag rows by uuid, read over a connection of the test's own (instants as ISO text). */
async function storedTags(url: string, uuids: readonly string[]): Promise<Record<string, unknown>[]> {
  const q = `SELECT * FROM ttp_tag WHERE uuid IN (${uuids.map(() => "?").join(", ")}) ORDER BY uuid`;
  if (url.startsWith("postgres")) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      let i = 0;
      const rows = (await client.query(q.replace(/\?/g, () => `$${++i}`), [...uuids])).rows as Record<string, unknown>[];
      return rows.map((r) => ({ ...r, created_at: (r.created_at as Date).toISOString() }));
    } finally {
      await client.end();
    }
  }
  const db = new Database(url.slice("file:".length), { readonly: true });
  try {
    return db.prepare(q).all(...uuids) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe.each([
  ["sqlite file", () => `file:${path.join(dir, "w.db")}`],
  ["postgres", () => pgDb.url],
])("WorkerDb on %s", (_name, url) => {
  it("inserts tags once by uuid (re-processing and overlapping batches add nothing)", async () => {
    const db = new WorkerDb(url());
    try {
      await db.insertTags([tag("00000000-0000-5000-8000-000000000001"), tag("00000000-0000-5000-8000-000000000002")], "w-1", "2030-01-01T00:00:00.000Z");
      await db.insertTags(
        [tag("00000000-0000-5000-8000-000000000002", { confidence: 0.9 }), tag("00000000-0000-5000-8000-000000000003", { sub_technique_id: "T1082.001" })],
        "w-2",
        "2030-01-01T00:00:01.000Z",
      );
      expect(await db.countTags()).toBe(3);
    } finally {
      await db.close();
    }
  });

  it("stores every column of a tag as given and counts only new rows, over batches larger than one statement", async () => {
    const db = new WorkerDb(url());
    const id = (n: number) => `00000000-0000-5000-9000-${String(n).padStart(12, "0")}`;
    try {
      const first = tag(id(1), { identity_uuid: "ident-1", decky_id: "decky-7", sub_technique_id: "T1082.001", confidence: 0.75, evidence: { command_text: "id; uname -a", uid: 0, nested: { a: [1, "x"] } } });
      expect(await db.insertTags([first], "w-cols", "2030-02-03T04:05:06.789Z")).toBe(1);
      expect(await storedTags(url(), [id(1)])).toEqual([
        {
          uuid: id(1),
          source_kind: "command",
          source_id: `cmd-${id(1)}`,
          attacker_uuid: "att-1",
          identity_uuid: "ident-1",
          session_id: "s-1",
          decky_id: "decky-7",
          tactic: "TA0007",
          technique_id: "T1082",
          sub_technique_id: "T1082.001",
          confidence: 0.75,
          rule_id: "R1",
          rule_version: 2,
          evidence: JSON.stringify(first.evidence),
          worker_id: "w-cols",
          created_at: "2030-02-03T04:05:06.789Z",
        },
      ]);
      // 4,501 tags in reverse key order (more than one PostgreSQL statement takes): 4,499 new, one already stored, one twice in the batch.
      const many = Array.from({ length: 4499 }, (_, i) => tag(id(4500 - i)));
      expect(await db.insertTags([...many, tag(id(1)), tag(id(77))], "w-cols", "2030-02-03T04:05:07.000Z")).toBe(4499);
      expect(await db.insertTags(many, "w-cols", "2030-02-03T04:05:08.000Z")).toBe(0);
      const sample = await storedTags(url(), [id(2), id(4500)]);
      expect(sample.map((r) => [r.uuid, r.created_at])).toEqual([
        [id(2), "2030-02-03T04:05:07.000Z"],
        [id(4500), "2030-02-03T04:05:07.000Z"],
      ]);
    } finally {
      await db.close();
    }
  });

  it("upserts the worker row and only the rule counts it is given", async () => {
    const db = new WorkerDb(url());
    try {
      await db.writeReport(report(), [
        { ruleId: "R1", fires: 3, recentFires: 3, lastFiredAt: "2030-01-01T00:00:04.000Z" },
        { ruleId: "R2", fires: 1, recentFires: 1, lastFiredAt: null },
      ]);
      await db.writeReport(report({ appliedSeq: 12, status: "stale", lastSeenAt: "2030-01-01T00:00:10.000Z" }), [{ ruleId: "R1", fires: 5, recentFires: 2, lastFiredAt: "2030-01-01T00:00:09.000Z" }]);
      await db.writeReport(report({ workerId: "m-1", role: "master", appliedSeq: null }), []);
      expect(await db.listWorkers()).toEqual([
        report({ workerId: "m-1", role: "master", appliedSeq: null }),
        report({ appliedSeq: 12, status: "stale", lastSeenAt: "2030-01-01T00:00:10.000Z" }),
      ]);
      expect(await db.listRuleStats()).toEqual([
        { workerId: "w-1", ruleId: "R1", fires: 5, recentFires: 2, lastFiredAt: "2030-01-01T00:00:09.000Z", updatedAt: "2030-01-01T00:00:10.000Z" },
        { workerId: "w-1", ruleId: "R2", fires: 1, recentFires: 1, lastFiredAt: null, updatedAt: "2030-01-01T00:00:05.000Z" },
      ]);
      expect(await db.ruleStatsFor("R2")).toEqual([{ workerId: "w-1", ruleId: "R2", fires: 1, recentFires: 1, lastFiredAt: null, updatedAt: "2030-01-01T00:00:05.000Z" }]);
      expect(await db.ruleStatsFor("R9")).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("stores the NATS input description of a worker", async () => {
    const db = new WorkerDb(url());
    try {
      const nats = report({ workerId: "w-nats", inputKind: "nats", natsStream: "DECNET", natsDurable: "ttp-workers", natsPending: 5_000_000_000 });
      await db.writeReport(nats, []);
      expect((await db.listWorkers()).find((w) => w.workerId === "w-nats")).toEqual(nats);
    } finally {
      await db.close();
    }
  });

  it("adds each report's fires since the stored count to its minute; a re-sent report adds nothing, a restart counts from 0", async () => {
    const db = new WorkerDb(url());
    const at = (iso: string) => Math.floor(Date.parse(iso) / 60_000);
    const base = at("2031-01-01T00:00:00.000Z");
    const r = (over: Partial<WorkerReport>) => report({ workerId: "w-fires", startedAt: "2031-01-01T00:00:00.000Z", ...over });
    const fires = (ruleId: string, n: number) => ({ ruleId, fires: n, recentFires: n, lastFiredAt: null });
    try {
      await db.pruneFiresBefore(base, 1000); // minute rows the earlier tests of this database wrote
      await db.writeReport(r({ lastSeenAt: "2031-01-01T00:00:05.000Z" }), [fires("F1", 3), fires("F2", 1)]);
      await db.writeReport(r({ lastSeenAt: "2031-01-01T00:00:35.000Z" }), [fires("F1", 7)]);
      // The same cumulative count again (the worker did not see the commit): no double count.
      await db.writeReport(r({ lastSeenAt: "2031-01-01T00:00:40.000Z" }), [fires("F1", 7)]);
      await db.writeReport(r({ lastSeenAt: "2031-01-01T00:01:10.000Z" }), [fires("F1", 10)]);
      // A restart under the same worker id: its counters start again at 0.
      await db.writeReport(r({ startedAt: "2031-01-01T00:02:00.000Z", lastSeenAt: "2031-01-01T00:02:05.000Z" }), [fires("F1", 2)]);
      await db.writeReport(report({ workerId: "w-fires-2", lastSeenAt: "2031-01-01T00:00:50.000Z" }), [fires("F1", 100)]);

      const perMinute = await db.fireSeries(["F1", "F2", "F3"], { fromMinute: base, toMinute: base + 4, bucketMinutes: 1 });
      expect(Object.fromEntries(perMinute)).toEqual({ F1: [107, 3, 2, 0], F2: [1, 0, 0, 0], F3: [0, 0, 0, 0] });
      const bucketed = await db.fireSeries(["F1"], { fromMinute: base - 1, toMinute: base + 4, bucketMinutes: 2 });
      expect(bucketed.get("F1")).toEqual([107, 5, 0]);
      await expect(db.fireSeries(["F1"], { fromMinute: base, toMinute: base, bucketMinutes: 1 })).rejects.toThrow(/from < to/);

      expect(await db.pruneFiresBefore(base + 1, 2)).toBe(2);
      expect(await db.pruneFiresBefore(base + 1, 2)).toBe(1);
      expect(await db.pruneFiresBefore(base + 1, 2)).toBe(0);
      expect(Object.fromEntries(await db.fireSeries(["F1", "F2"], { fromMinute: base, toMinute: base + 4, bucketMinutes: 1 }))).toEqual({ F1: [0, 3, 2, 0], F2: [0, 0, 0, 0] });
    } finally {
      await db.close();
    }
  });
});

describe("WorkerDb on postgres", () => {
  it("names its connections (operators and tests find them in pg_stat_activity)", async () => {
    const db = new WorkerDb(pgDb.url);
    try {
      await db.countTags();
      const admin = new pg.Client({ connectionString: pgDb.url });
      await admin.connect();
      try {
        const res = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2", [pgDb.name, PG_WORKER_APP_NAME]);
        expect(res.rows[0].n).toBeGreaterThanOrEqual(1);
      } finally {
        await admin.end();
      }
    } finally {
      await db.close();
    }
  });
});
