import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../db/open-database";
import { createTestPgDatabase, type TestPgDatabase } from "../../db/testing/pg";
import { LoginThrottle, openLoginThrottle, type LoginThrottleOptions, type ThrottledAttempt } from "./login-throttle";

const IP = "203.0.113.7";
const MINUTE = 60_000;

const wrong = (): Promise<null> => Promise.resolve(null);
const right = (): Promise<string> => Promise.resolve("user");

interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A URL whose throttle table is empty. */
  freshUrl(): Promise<string>;
}

const sqlite: Backend = { name: "SQLite", setup: async () => {}, teardown: async () => {}, freshUrl: async () => ":memory:" };

function postgres(): Backend {
  let db: TestPgDatabase | undefined;
  return {
    name: "PostgreSQL",
    setup: async () => {
      db = await createTestPgDatabase();
    },
    teardown: async () => {
      await db?.drop();
    },
    freshUrl: async () => {
      const c = new pg.Client({ connectionString: db!.url });
      await c.connect();
      try {
        await c.query("DO $$ BEGIN IF to_regclass('ttp_login_throttle') IS NOT NULL THEN TRUNCATE ttp_login_throttle; END IF; END $$");
      } finally {
        await c.end();
      }
      return db!.url;
    },
  };
}

describe.each([sqlite, postgres()].map((b) => [b.name, b] as const))("LoginThrottle on %s", (_name, backend) => {
  const open: LoginThrottle[] = [];
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });

  async function throttle(options: LoginThrottleOptions = {}): Promise<LoginThrottle> {
    const t = await openLoginThrottle(await backend.freshUrl(), options);
    open.push(t);
    return t;
  }

  async function fail(t: LoginThrottle, username: string, ip: string | null, times: number): Promise<void> {
    for (let i = 0; i < times; i++) expect(await t.attempt(username, ip, wrong), `failure ${i + 1}`).toEqual({ outcome: "failed" });
  }

  function retryAfter(r: ThrottledAttempt<unknown>): number {
    if (r.outcome !== "throttled") throw new Error(`expected throttled, got ${r.outcome}`);
    return r.retryAfterMs;
  }

  it("five failures block the sixth attempt for the block duration, without verifying it", async () => {
    const t = await throttle();
    await fail(t, "ana", IP, 5);
    let verified = 0;
    const r = await t.attempt("ana", IP, async () => (verified++, "user"));
    expect(verified).toBe(0);
    expect(retryAfter(r)).toBeGreaterThan(14 * MINUTE);
    expect(retryAfter(r)).toBeLessThanOrEqual(15 * MINUTE);
  });

  it("four failures leave the fifth attempt to be verified", async () => {
    const t = await throttle();
    await fail(t, "ana", IP, 4);
    expect(await t.attempt("ana", IP, right)).toEqual({ outcome: "ok", value: "user" });
  });

  it("a success resets the user name + address count", async () => {
    const t = await throttle();
    await fail(t, "ana", IP, 4);
    expect((await t.attempt("ana", IP, right)).outcome).toBe("ok");
    await fail(t, "ana", IP, 5);
    expect((await t.attempt("ana", IP, right)).outcome).toBe("throttled");
  });

  it("other user names and other addresses are unaffected; the user name is compared case-insensitively", async () => {
    const t = await throttle();
    await fail(t, "ana", IP, 3);
    await fail(t, "ANA", IP, 2);
    expect((await t.attempt("Ana", IP, right)).outcome).toBe("throttled");
    expect((await t.attempt("bob", IP, right)).outcome).toBe("ok");
    expect((await t.attempt("ana", "198.51.100.1", right)).outcome).toBe("ok");
  });

  it("without a known client address counts the user name alone and never blocks everyone", async () => {
    const t = await throttle({ maxPerIp: 6 });
    await fail(t, "ana", null, 5);
    expect((await t.attempt("ana", null, right)).outcome).toBe("throttled");
    // Other accounts keep working: there is no shared "unknown address" bucket.
    for (const name of ["b", "c", "d"]) await fail(t, name, null, 2);
    expect((await t.attempt("someone-else", null, right)).outcome).toBe("ok");
  });

  it("blocks an address after maxPerIp attempts across user names, until its window ends", async () => {
    const t = await throttle({ maxPerIp: 6 });
    for (const name of ["a", "b", "c"]) await fail(t, name, IP, 2);
    const r = await t.attempt("someone-new", IP, right);
    expect(retryAfter(r)).toBeGreaterThan(59 * MINUTE);
    expect((await t.attempt("someone-new", "198.51.100.1", right)).outcome).toBe("ok");
  });

  it("successful attempts give their point back to the address", async () => {
    const t = await throttle({ maxPerIp: 3 });
    for (let i = 0; i < 10; i++) expect((await t.attempt(`user${i}`, IP, right)).outcome).toBe("ok");
    await fail(t, "x", IP, 3);
    expect((await t.attempt("y", IP, right)).outcome).toBe("throttled");
  });

  it("a block lapses after blockMs", async () => {
    const t = await throttle({ maxFailures: 2, blockMs: 150 });
    await fail(t, "ana", IP, 2);
    expect((await t.attempt("ana", IP, right)).outcome).toBe("throttled");
    await new Promise((r) => setTimeout(r, 300));
    expect((await t.attempt("ana", IP, right)).outcome).toBe("ok");
  });

  it("a verification that throws gives the points back and rethrows", async () => {
    const t = await throttle({ maxFailures: 2, maxPerIp: 2 });
    for (let i = 0; i < 5; i++) await expect(t.attempt("ana", IP, () => Promise.reject(new Error("database down")))).rejects.toThrow("database down");
    await fail(t, "ana", IP, 1);
    expect((await t.attempt("ana", IP, right)).outcome).toBe("ok");
  });

  it("keys of any length and characters are counted apart (long ones hashed)", async () => {
    const t = await throttle({ maxFailures: 1 });
    const long = "x".repeat(5000);
    await fail(t, long, `${long}-a`, 1);
    expect((await t.attempt(long, `${long}-a`, right)).outcome).toBe("throttled");
    expect((await t.attempt(long, `${long}-b`, right)).outcome).toBe("ok");
    await fail(t, 'a","b', null, 1);
    expect((await t.attempt("a", 'b",null', right)).outcome).toBe("ok");
  });
});

describe("LoginThrottle options", () => {
  it("rejects nonsensical options", async () => {
    const db = await openDatabase(":memory:");
    try {
      expect(() => new LoginThrottle(db, { maxFailures: 0 })).toThrow(/maxFailures/);
      expect(() => new LoginThrottle(db, { windowMs: Number.NaN })).toThrow(/windowMs/);
    } finally {
      await db.close();
    }
  });

  it("close() closes a database it opened and refuses further attempts", async () => {
    const t = await openLoginThrottle(":memory:");
    await t.close();
    await t.close();
    await expect(t.attempt("ana", null, right)).rejects.toThrow(/closed/);
  });
});
