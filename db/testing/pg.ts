import { randomBytes } from "node:crypto";
import pg from "pg";

/** Server the tests use (trust auth on the project machine and in CI). */
export const TEST_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestPgDatabase {
  url: string;
  name: string;
  /** Terminates the database's connections and drops it; idempotent. */
  drop(): Promise<void>;
}

function urlFor(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database `ttp_test_<random>` for one test file or suite. */
export async function createTestPgDatabase(adminUrl: string = TEST_PG_ADMIN_URL): Promise<TestPgDatabase> {
  const name = `ttp_test_${randomBytes(6).toString("hex")}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  let dropped = false;
  return {
    name,
    url: urlFor(adminUrl, name),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, async (c) => {
        await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

/** Terminates every backend of `database` whose application_name matches (tests simulate outages with it). */
export async function terminateBackends(database: string, applicationName?: string, adminUrl: string = TEST_PG_ADMIN_URL): Promise<number> {
  return withAdmin(adminUrl, async (c) => {
    const res = applicationName === undefined
      ? await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [database])
      : await c.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND pid <> pg_backend_pid()",
          [database, applicationName],
        );
    return res.rowCount ?? 0;
  });
}
