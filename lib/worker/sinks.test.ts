import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tag } from "../engine/types";
import { silentLogger } from "../logger";
import { DbTagSink } from "./sinks";
import { WalCheckpointer } from "./wal-checkpointer";
import { WorkerDb } from "./worker-db";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ttp-sinks-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The real WorkerDb, counting its insert transactions. */
class CountingWorkerDb extends WorkerDb {
  transactions = 0;
  override async insertTags(...args: Parameters<WorkerDb["insertTags"]>): ReturnType<WorkerDb["insertTags"]> {
    const n = await super.insertTags(...args);
    if (n !== null) this.transactions++;
    return n;
  }
}

/**
 * A real WorkerDb on a fresh SQLite file (migrated) and a second connection, as another process,
 * that holds the file's write lock (BEGIN IMMEDIATE) while `run` starts; both closed afterwards.
 */
async function withWriteLockHeld(name: string, run: (db: CountingWorkerDb, other: Database.Database) => Promise<void>): Promise<void> {
  const file = path.join(dir, name);
  const db = new CountingWorkerDb(`file:${file}`);
  expect(await db.countTags()).toBe(0); // opens and migrates
  const other = new Database(file);
  other.pragma("busy_timeout = 5000");
  try {
    other.exec("BEGIN IMMEDIATE");
    await run(db, other);
  } finally {
    if (other.inTransaction) other.exec("ROLLBACK");
    other.close();
    await db.close();
  }
}

const tags = (from: number, count: number): Tag[] => Array.from({ length: count }, (_, i) => tag(from + i));

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
    await withWriteLockHeld("locked.db", async (db, other) => {
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
    });
  });
});

describe("DbTagSink flush policy", () => {
  it("a backlog (here: tags piling up while another process holds the write lock) is committed in transactions of up to 40,000 tags", async () => {
    await withWriteLockHeld("backlog.db", async (db, other) => {
      const sink = new DbTagSink(db, { workerId: "w" });
      // 100,000 tags handed over as a NATS worker's blocks would be, while the sink cannot write.
      for (let i = 0; i < 100; i++) await sink.write(tags(1 + i * 1000, 1000));
      const done = sink.durable();
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
      expect(db.transactions).toBe(0);
      other.exec("COMMIT");
      await done;
      expect(await db.countTags()).toBe(100_000);
      // 40,000 + 40,000 + 20,000: SQLite pays per dirtied page, so fewer, larger transactions cost
      // less per tag (with the earlier cap of 8,000 this was 13 transactions).
      expect(db.transactions).toBe(3);
      expect(await sink.close(Date.now() + 1000)).toBe(0);
    });
  });

  it("durable() writes what was handed over without waiting for the flush timer", async () => {
    const db = new WorkerDb(`file:${path.join(dir, "durable.db")}`);
    try {
      const sink = new DbTagSink(db, { workerId: "w", flushMs: 3_600_000, maxFlushMs: 3_600_000 });
      await sink.write(tags(1, 3));
      await sink.durable();
      expect(await db.countTags()).toBe(3);
      expect(await sink.close(Date.now() + 1000)).toBe(0);
    } finally {
      await db.close();
    }
  });

  it("a partial batch nobody waits for is written by the flush timer", async () => {
    const db = new WorkerDb(`file:${path.join(dir, "timer.db")}`);
    try {
      const sink = new DbTagSink(db, { workerId: "w", flushMs: 5 });
      await sink.write(tags(1, 4));
      while ((await db.countTags()) < 4) await new Promise<void>((resolve) => setTimeout(resolve, 5));
      expect(sink.pending).toBe(0);
      expect(await sink.close(Date.now() + 1000)).toBe(0);
    } finally {
      await db.close();
    }
  });

  it("durable() calls soon after a transaction share the next one (group commit); each resolves once its tags are committed", async () => {
    const db = new CountingWorkerDb(`file:${path.join(dir, "group.db")}`);
    try {
      const sink = new DbTagSink(db, { workerId: "w", flushMs: 3_600_000, maxFlushMs: 3_600_000, commitGapMs: 50 });
      await sink.write(tags(1, 2));
      await sink.durable();
      expect(db.transactions).toBe(1);
      // Three blocks handed over at once, right after that transaction: one more transaction.
      const waits: Promise<void>[] = [];
      for (let k = 0; k < 3; k++) {
        await sink.write(tags(10 + k * 10, 2));
        waits.push(sink.durable());
      }
      await Promise.all(waits);
      expect(db.transactions).toBe(2);
      expect(await db.countTags()).toBe(8);
      expect(await sink.close(Date.now() + 1000)).toBe(0);
    } finally {
      await db.close();
    }
  });

  it("tags written while a transaction waits for the write lock join it; every waiting durable() resolves with it, without the flush timer", async () => {
    await withWriteLockHeld("during.db", async (db, other) => {
      const sink = new DbTagSink(db, { workerId: "w", flushMs: 3_600_000, maxFlushMs: 3_600_000 });
      await sink.write(tags(1, 2));
      const first = sink.durable();
      // The writer is retrying the lock: these wait in the buffer.
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
      await sink.write(tags(3, 2));
      const second = sink.durable();
      other.exec("COMMIT");
      await Promise.all([first, second]);
      expect(await db.countTags()).toBe(4);
      expect(db.transactions).toBe(1);
      expect(await sink.close(Date.now() + 1000)).toBe(0);
    });
  });
});

describe("WalCheckpointer", () => {
  it("copies the WAL into the database file from its thread while the writer never checkpoints, and stops", async () => {
    const file = path.join(dir, "wal.db");
    const writer = new Database(file);
    writer.pragma("journal_mode = WAL");
    writer.pragma("wal_autocheckpoint = 0");
    writer.exec("CREATE TABLE t (x TEXT)");
    const insert = writer.prepare("INSERT INTO t VALUES (?)");
    const fill = writer.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${"x".repeat(100)}`);
    });
    fill();
    const sizeBefore = statSync(file).size;
    const checkpointer = new WalCheckpointer(file, { intervalMs: 5, logger: silentLogger });
    try {
      while (statSync(file).size <= sizeBefore) await new Promise<void>((resolve) => setTimeout(resolve, 5));
    } finally {
      await checkpointer.stop();
      writer.close();
    }
    expect(statSync(file).size).toBeGreaterThan(sizeBefore);
  });
});
