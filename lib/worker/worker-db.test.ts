import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPgDatabase, type TestPgDatabase } from "../../db/testing/pg";
import type { Tag } from "../engine/types";
import { WorkerDb, type WorkerReport } from "./worker-db";

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
  startedAt: "2030-01-01T00:00:00.000Z",
  lastSeenAt: "2030-01-01T00:00:05.000Z",
  ...over,
});

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
});
