import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { migrateDatabase, migrateSqlite, openDatabase, openSqliteDatabase } from "./open-database";
import { createTestPgDatabase, type TestPgDatabase } from "./testing/pg";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

/** Entries in drizzle-kit's journal: every one must be applied exactly once. */
function migrationCount(dialect: "sqlite" | "pg"): number {
  const journal = JSON.parse(readFileSync(path.join(here, "migrations", dialect, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };
  return journal.entries.length;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ttp-db-open-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runChild(file: string, goAt: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "testing", "open-sqlite-child.ts"), file, String(goAt)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("openDatabase (SQLite)", () => {
  it("creates the parent directory, applies the schema and sets the pragmas", async () => {
    const file = path.join(dir, "nested", "deeper", "ttp.db");
    const db = await openDatabase(`file:${file}`);
    if (db.dialect !== "sqlite") throw new Error("expected sqlite");
    expect(db.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.sqlite.pragma("busy_timeout", { simple: true })).toBe(5000);
    expect(db.sqlite.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.sqlite.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    const tables = db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ttp_%' ORDER BY name").all();
    expect(tables).toEqual(
      ["ttp_api_token", "ttp_auth_log", "ttp_change", "ttp_login_throttle", "ttp_rule", "ttp_rule_fires_minute", "ttp_rule_state", "ttp_rule_stats", "ttp_session", "ttp_tag", "ttp_user", "ttp_worker"].map((name) => ({ name })),
    );
    expect(() =>
      db.sqlite.prepare("INSERT INTO ttp_rule_state (rule_id, state, revision) VALUES ('nope', 'enabled', 1)").run(),
    ).toThrow(/FOREIGN KEY/);
    expect(() => db.sqlite.prepare("INSERT INTO ttp_rule_fires_minute (worker_id, rule_id, minute, fires) VALUES ('nobody', 'R', 1, 1)").run()).toThrow(/FOREIGN KEY/);
    const workerCols = (db.sqlite.prepare("SELECT name FROM pragma_table_info('ttp_worker') WHERE name LIKE 'input_%' OR name LIKE 'nats_%' ORDER BY name").all() as { name: string }[]).map((c) => c.name);
    expect(workerCols).toEqual(["input_kind", "nats_durable", "nats_pending", "nats_stream"]);
    await db.close();
    await db.close();
  });

  it("enforces the CHECK constraints", async () => {
    const db = await openDatabase(":memory:");
    if (db.dialect !== "sqlite") throw new Error("expected sqlite");
    db.sqlite
      .prepare(
        "INSERT INTO ttp_rule (rule_id, rule_version, name, yaml_content, origin, revision, updated_at) VALUES ('R1', 1, 'n', 'yaml', 'filesystem', 1, '2026-01-01T00:00:00.000Z')",
      )
      .run();
    expect(() => db.sqlite.prepare("INSERT INTO ttp_rule_state (rule_id, state, revision) VALUES ('R1', 'off', 1)").run()).toThrow(/CHECK/);
    expect(() =>
      db.sqlite.prepare("INSERT INTO ttp_rule_state (rule_id, state, confidence_max, revision) VALUES ('R1', 'clipped', 1.5, 1)").run(),
    ).toThrow(/CHECK/);
    expect(() =>
      db.sqlite.prepare("INSERT INTO ttp_change (rule_id, kind, actor, at) VALUES ('R1', 'weird', 'a', 'x')").run(),
    ).toThrow(/CHECK/);
    await db.close();
  });

  it("migrations are idempotent (open twice, one migration row)", async () => {
    const file = path.join(dir, "twice.db");
    await migrateDatabase(`file:${file}`);
    const db = await openDatabase(`file:${file}`);
    if (db.dialect !== "sqlite") throw new Error("expected sqlite");
    expect((db.sqlite.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(migrationCount("sqlite"));
    await db.close();
  });

  it("a migrator that loses the race (another connection migrates between its read and its transaction) retries and succeeds", () => {
    const file = path.join(dir, "lost-race.db");
    const loser = new Database(file);
    loser.pragma("busy_timeout = 5000");
    let injected = false;
    // Deterministic interleaving: right after drizzle reads the applied-migrations list on `loser`,
    // another connection applies everything; drizzle's transaction then hits "table already exists".
    const wrapStatement = (stmt: Database.Statement): Database.Statement =>
      new Proxy(stmt, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target) as unknown;
          if (prop !== "raw" || typeof value !== "function") return typeof value === "function" ? value.bind(target) : value;
          return (...args: unknown[]) => {
            const raw = (value as (...a: unknown[]) => Database.Statement).apply(target, args);
            return new Proxy(raw, {
              get(t, p) {
                const v = Reflect.get(t, p, t) as unknown;
                if (p !== "all" || typeof v !== "function") return typeof v === "function" ? v.bind(t) : v;
                return (...a: unknown[]) => {
                  const rows = (v as (...x: unknown[]) => unknown).apply(t, a);
                  if (!injected) {
                    injected = true;
                    openSqliteDatabase(file).close();
                  }
                  return rows;
                };
              },
            });
          };
        },
      });
    const proxied = new Proxy(loser, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop === "prepare") {
          return (source: string) => {
            const stmt = target.prepare(source);
            return /select id, hash, created_at from/i.test(source) ? wrapStatement(stmt) : stmt;
          };
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    migrateSqlite(proxied);
    expect(injected).toBe(true);
    expect((loser.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(migrationCount("sqlite"));
    loser.close();
  });

  it("several processes opening the same fresh file at once all succeed", async () => {
    const file = path.join(dir, "race", "ttp.db");
    const goAt = Date.now() + 2500;
    const results = await Promise.all([0, 1, 2, 3].map(() => runChild(file, goAt)));
    for (const r of results) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe("ok 0");
    }
    const db = await openDatabase(`file:${file}`);
    if (db.dialect !== "sqlite") throw new Error("expected sqlite");
    expect((db.sqlite.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number }).n).toBe(migrationCount("sqlite"));
    await db.close();
  }, 30_000);
});

describe("openDatabase (PostgreSQL)", () => {
  let pgdb: TestPgDatabase;
  beforeAll(async () => {
    pgdb = await createTestPgDatabase();
  });
  afterAll(async () => {
    await pgdb?.drop();
  });

  it("concurrent openers of a fresh database serialise on the advisory lock; migrating again is a no-op", async () => {
    const opened = await Promise.all([0, 1, 2, 3].map(() => openDatabase(pgdb.url)));
    for (const db of opened) await db.close();
    await migrateDatabase(pgdb.url);
    const client = new pg.Client({ connectionString: pgdb.url });
    await client.connect();
    try {
      const m = await client.query<{ n: string }>("SELECT count(*) AS n FROM drizzle.__drizzle_migrations");
      expect(Number(m.rows[0]?.n)).toBe(migrationCount("pg"));
      const cols = await client.query<{ column_name: string; data_type: string }>(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'ttp_rule_state' AND column_name IN ('expires_at', 'confidence_max') ORDER BY column_name",
      );
      expect(cols.rows).toEqual([
        { column_name: "confidence_max", data_type: "double precision" },
        { column_name: "expires_at", data_type: "timestamp with time zone" },
      ]);
      await expect(client.query("INSERT INTO ttp_change (rule_id, kind, actor, at) VALUES ('R', 'weird', 'a', now())")).rejects.toThrow(/check/i);
      const telemetry = await client.query<{ table_name: string; column_name: string; data_type: string }>(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_name = 'ttp_rule_fires_minute' OR (table_name = 'ttp_worker' AND column_name IN ('input_kind', 'nats_stream', 'nats_durable', 'nats_pending')) ORDER BY table_name, column_name",
      );
      expect(telemetry.rows).toEqual([
        { table_name: "ttp_rule_fires_minute", column_name: "fires", data_type: "bigint" },
        { table_name: "ttp_rule_fires_minute", column_name: "minute", data_type: "integer" },
        { table_name: "ttp_rule_fires_minute", column_name: "rule_id", data_type: "text" },
        { table_name: "ttp_rule_fires_minute", column_name: "worker_id", data_type: "text" },
        { table_name: "ttp_worker", column_name: "input_kind", data_type: "text" },
        { table_name: "ttp_worker", column_name: "nats_durable", data_type: "text" },
        { table_name: "ttp_worker", column_name: "nats_pending", data_type: "bigint" },
        { table_name: "ttp_worker", column_name: "nats_stream", data_type: "text" },
      ]);
      await expect(client.query("INSERT INTO ttp_rule_fires_minute (worker_id, rule_id, minute, fires) VALUES ('nobody', 'R', 1, 1)")).rejects.toThrow(/foreign key/i);
    } finally {
      await client.end();
    }
  });
});
