import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { Logger } from "../../logger";
import type { Bus } from "../bus";
import { createTestPgDatabase, type TestPgDatabase } from "../../../db/testing/pg";
import { DatabaseRuleStore } from "../database-store";
import { FilesystemRuleStore } from "../filesystem-store";
import type { RuleStore } from "../types";

/** PostgreSQL server the postgres target creates its database on (trust auth). */
export const TEST_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export type TargetName = "filesystem" | "sqlite-memory" | "sqlite-file" | "postgres";

export interface TargetOptions {
  clock?: () => number;
  bus?: Bus;
  logger?: Logger;
}

/** A store backend the conformance suite runs against. */
export interface StoreTarget {
  readonly name: TargetName;
  /** Once per test file (e.g. creates the PostgreSQL database). */
  setup(): Promise<void>;
  /** Once per test file: drops what setup made. */
  teardown(): Promise<void>;
  /** A fresh, empty, ready store isolated from every earlier test's data. */
  create(options?: TargetOptions): Promise<RuleStore>;
  /** After each test: closes the stores create() made and wipes their data. */
  reset(): Promise<void>;
}

function filesystemTarget(): StoreTarget {
  const open: { store: RuleStore; dir: string }[] = [];
  return {
    name: "filesystem",
    setup: async () => undefined,
    teardown: async () => undefined,
    async create(options = {}) {
      const dir = await mkdtemp(path.join(tmpdir(), "ttp-fs-store-"));
      const store = new FilesystemRuleStore({ dir, stabilityMs: 40, ...options });
      open.push({ store, dir });
      await store.ready();
      return store;
    },
    async reset() {
      for (const { store, dir } of open.splice(0)) {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

function sqliteMemoryTarget(): StoreTarget {
  const open: RuleStore[] = [];
  return {
    name: "sqlite-memory",
    setup: async () => undefined,
    teardown: async () => undefined,
    async create(options = {}) {
      // No url: the documented zero-argument in-memory database.
      const store = Object.keys(options).length === 0 ? new DatabaseRuleStore() : new DatabaseRuleStore({ ...options });
      open.push(store);
      await store.ready();
      return store;
    },
    async reset() {
      for (const store of open.splice(0)) await store.close();
    },
  };
}

function sqliteFileTarget(): StoreTarget {
  const open: { store: RuleStore; dir: string }[] = [];
  return {
    name: "sqlite-file",
    setup: async () => undefined,
    teardown: async () => undefined,
    async create(options = {}) {
      const dir = await mkdtemp(path.join(tmpdir(), "ttp-sqlite-store-"));
      const store = new DatabaseRuleStore({ url: `file:${path.join(dir, "ttp.db")}`, ...options });
      open.push({ store, dir });
      await store.ready();
      return store;
    },
    async reset() {
      for (const { store, dir } of open.splice(0)) {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** One PostgreSQL database per test file; tables are truncated between tests (much faster than a new database). */
function postgresTarget(): StoreTarget {
  const open: RuleStore[] = [];
  let db: TestPgDatabase | null = null;
  return {
    name: "postgres",
    async setup() {
      db = await createTestPgDatabase(TEST_PG_ADMIN_URL);
    },
    async teardown() {
      const d = db;
      db = null;
      if (d) await d.drop();
    },
    async create(options = {}) {
      if (!db) throw new Error("postgres target: setup() did not create the test database");
      const store = new DatabaseRuleStore({ url: db.url, ...options });
      open.push(store);
      await store.ready();
      return store;
    },
    async reset() {
      for (const store of open.splice(0)) await store.close();
      if (!db) return;
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string }>(
          "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'ttp\\_%'",
        );
        if (rows.length > 0) await client.query(`TRUNCATE ${rows.map((r) => r.name).join(", ")} RESTART IDENTITY CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Every backend the shared conformance suite runs against. */
export function storeTargets(): StoreTarget[] {
  return [filesystemTarget(), sqliteMemoryTarget(), sqliteFileTarget(), postgresTarget()];
}
