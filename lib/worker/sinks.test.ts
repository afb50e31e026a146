import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tag } from "../engine/types";
import { DbTagSink } from "./sinks";
import { WorkerDb } from "./worker-db";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ttp-sinks-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tag = (n: number): Tag => ({
  uuid: `00000000-0000-5000-8000-${String(n).padStart(12, "0")}`,
  source_kind: "command",
  source_id: `cmd-${n}`,
  attacker_uuid: "att-1",
  identity_uuid: null,
  session_id: "s-1",
  decky_id: null,
  tactic: "TA0007",
  technique_id: "T1082",
  sub_technique_id: null,
  confidence: 0.5,
  rule_id: "R1",
  rule_version: 1,
  evidence: { command_text: "uname -a" },
});

describe("DbTagSink on an SQLite file whose write lock another process holds", () => {
  it("insertTags with noWait writes nothing and answers null; the sink retries without reporting an outage and commits once the lock is released", async () => {
    const file = path.join(dir, "locked.db");
    const db = new WorkerDb(`file:${file}`);
    expect(await db.countTags()).toBe(0); // opens and migrates
    const other = new Database(file);
    other.pragma("busy_timeout = 5000");
    try {
      other.exec("BEGIN IMMEDIATE");
      expect(await db.insertTags([tag(1)], "w", "2030-01-01T00:00:00.000Z", { noWait: true })).toBeNull();

      const statuses: boolean[] = [];
      const sink = new DbTagSink(db, { workerId: "w", onDbStatus: (up) => statuses.push(up) });
      await sink.write([tag(1), tag(2)]);
      let durable = false;
      const done = sink.durable().then(() => (durable = true));
      // The lock is still held: timers keep firing (nothing blocks in SQLite's busy handler) and nothing is committed.
      let ticks = 0;
      while (ticks < 20) {
        await new Promise<void>((resolve) => setTimeout(resolve, 1));
        ticks++;
      }
      expect(durable).toBe(false);
      expect((other.prepare("SELECT count(*) AS n FROM ttp_tag").get() as { n: number }).n).toBe(0);
      other.exec("COMMIT");
      await done;
      expect(await db.countTags()).toBe(2);
      // Lock contention is not an outage: the database was never reported down.
      expect(statuses).not.toContain(false);
      expect(await db.insertTags([tag(2), tag(3)], "w", "2030-01-01T00:00:00.000Z", { noWait: true })).toBe(1);
      expect(await sink.close(Date.now() + 1000)).toBe(0);
    } finally {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
      await db.close();
    }
  });
});
