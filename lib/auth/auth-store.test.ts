import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestPgDatabase, type TestPgDatabase } from "../../db/testing/pg";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { openAuthStore, type AuthStoreOptions } from "./auth-store";
import type { AuthStore } from "./types";

const T0 = Date.parse("2026-03-01T08:00:00.000Z");
const HOUR = 3_600_000;
const PASSWORD = "correct horse battery";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to reject");
}

interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** Between tests: an empty database for the next one. */
  reset(): Promise<void>;
  url(): string;
  /** Every row of the three auth tables as JSON text (what a database leak would reveal). */
  dump(): Promise<string>;
  /** SQLite: the next store opens a file (which dump() can read) instead of memory. */
  useFile?(): void;
}

const AUTH_TABLES = ["ttp_user", "ttp_session", "ttp_api_token", "ttp_auth_log"] as const;

function sqliteBackend(): Backend {
  let dir = "";
  let file: string | null = null;
  let n = 0;
  return {
    name: "SQLite",
    setup: async () => {
      dir = await mkdtemp(path.join(tmpdir(), "ttp-auth-"));
    },
    teardown: async () => {
      await rm(dir, { recursive: true, force: true });
    },
    reset: async () => {
      file = null;
    },
    // In memory unless a test asks for dump(), which needs a file a second connection can read.
    url: () => file ?? ":memory:",
    dump: async () => {
      if (file === null) throw new Error("dump() needs useFile() before the store is opened");
      const db = new Database(file, { readonly: true });
      try {
        return JSON.stringify(AUTH_TABLES.map((t) => db.prepare(`SELECT * FROM ${t}`).all()));
      } finally {
        db.close();
      }
    },
    useFile: () => {
      file = path.join(dir, `auth-${++n}.db`);
    },
  };
}

function pgBackend(): Backend {
  let db: TestPgDatabase | undefined;
  async function query<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
    const c = new pg.Client({ connectionString: db!.url });
    await c.connect();
    try {
      return (await c.query<T>(text)).rows;
    } finally {
      await c.end();
    }
  }
  return {
    name: "PostgreSQL",
    setup: async () => {
      db = await createTestPgDatabase();
    },
    teardown: async () => {
      await db?.drop();
    },
    reset: async () => {
      const [exists] = await query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'ttp_user'");
      if (Number(exists?.n) > 0) await query("TRUNCATE ttp_user, ttp_auth_log CASCADE");
    },
    url: () => db!.url,
    dump: async () => JSON.stringify(await Promise.all(AUTH_TABLES.map((t) => query(`SELECT * FROM ${t}`)))),
  };
}

describe.each([sqliteBackend(), pgBackend()].map((b) => [b.name, b] as const))("auth store on %s", (_name, backend) => {
  let now = T0;
  const stores: AuthStore[] = [];
  async function open(options: AuthStoreOptions = {}): Promise<AuthStore> {
    const s = await openAuthStore(backend.url(), { clock: () => now, ...options });
    stores.push(s);
    return s;
  }

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    now = T0;
    await backend.reset();
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it("creates a user and verifies its password; finds, lists and counts users", async () => {
    const store = await open();
    expect(await store.countUsers()).toBe(0);
    const user = await store.createUser({ username: "ana.lyst@soc", password: PASSWORD, role: "admin" }, "tester");
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      username: "ana.lyst@soc",
      role: "admin",
      createdAt: new Date(T0).toISOString(),
      createdBy: "tester",
    });
    await store.createUser({ username: "bob", password: "0123456789", role: "viewer" }, "");
    expect(await store.verifyPassword("ana.lyst@soc", PASSWORD)).toEqual(user);
    expect(await store.findUserByName("ana.lyst@soc")).toEqual(user);
    expect(await store.findUserByName("nobody")).toBeNull();
    const listed = await store.listUsers();
    expect(listed.map((u) => [u.username, u.role, u.createdBy])).toEqual([
      ["ana.lyst@soc", "admin", "tester"],
      ["bob", "viewer", null],
    ]);
    expect(listed[0]?.createdAt).toMatch(ISO);
    expect(await store.countUsers()).toBe(2);
  });

  it("a wrong password, an unknown user and a non-string password all give null", async () => {
    const store = await open();
    await store.createUser({ username: "ana", password: PASSWORD, role: "viewer" }, "tester");
    expect(await store.verifyPassword("ana", PASSWORD + "!")).toBeNull();
    expect(await store.verifyPassword("ana", "")).toBeNull();
    expect(await store.verifyPassword("ANA", PASSWORD)).toBeNull();
    expect(await store.verifyPassword("nobody", PASSWORD)).toBeNull();
    expect(await store.verifyPassword("ana", "x".repeat(100_000))).toBeNull();
    expect(await store.verifyPassword("ana", undefined as unknown as string)).toBeNull();
  });

  it("a taken username is a ConflictError and writes nothing", async () => {
    const store = await open();
    const first = await store.createUser({ username: "ana", password: PASSWORD, role: "viewer" }, "tester");
    const err = await rejection(store.createUser({ username: "ana", password: "another password", role: "admin" }, "tester"));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).code).toBe("CONFLICT");
    expect((err as Error).message).toContain('"ana"');
    expect(await store.countUsers()).toBe(1);
    expect(await store.verifyPassword("ana", PASSWORD)).toEqual(first);
    expect(await store.verifyPassword("ana", "another password")).toBeNull();
  });

  it("bad input is a ValidationError naming each bad field, and writes nothing", async () => {
    const store = await open();
    const fields = async (input: { username: string; password: string; role: string }): Promise<unknown[]> => {
      const err = await rejection(store.createUser(input as Parameters<AuthStore["createUser"]>[0], "tester"));
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).issues.map((i) => i.path[0]);
    };
    expect(await fields({ username: "bad name", password: PASSWORD, role: "viewer" })).toEqual(["username"]);
    expect(await fields({ username: "", password: PASSWORD, role: "viewer" })).toEqual(["username"]);
    expect(await fields({ username: "a".repeat(65), password: PASSWORD, role: "viewer" })).toEqual(["username"]);
    expect(await fields({ username: "ana", password: "123456789", role: "viewer" })).toEqual(["password"]);
    expect(await fields({ username: "ana", password: "p".repeat(257), role: "viewer" })).toEqual(["password"]);
    expect(await fields({ username: "ana", password: PASSWORD, role: "root" })).toEqual(["role"]);
    expect(await fields({ username: "a/b", password: "short", role: "root" })).toEqual(["username", "password", "role"]);
    const err = await rejection(store.createUser({ username: "ana", password: "short", role: "viewer" }, "tester"));
    expect((err as Error).message).toBe("password must be at least 10 characters");
    expect(await store.countUsers()).toBe(0);
    // The boundaries themselves are accepted.
    await store.createUser({ username: "a".repeat(64), password: "p".repeat(256), role: "viewer" }, "tester");
    await store.createUser({ username: "A_b.c@d-9", password: "0123456789", role: "viewer" }, "tester");
    expect(await store.countUsers()).toBe(2);
  });

  it("creates, validates and deletes a session", async () => {
    const store = await open();
    const user = await store.createUser({ username: "ana", password: PASSWORD, role: "viewer" }, "tester");
    const { token, expiresAt } = await store.createSession(user.id);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(new Date(T0 + 12 * HOUR).toISOString());
    expect(await store.validateSession(token)).toEqual({ user, expiresAt, renewed: false });
    const other = await store.createSession(user.id);
    expect(other.token).not.toBe(token);
    await store.deleteSession(token);
    expect(await store.validateSession(token)).toBeNull();
    expect((await store.validateSession(other.token))?.user).toEqual(user);
    await store.deleteSession(token); // idempotent
    expect(await store.validateSession("not a token")).toBeNull();
    expect(await store.validateSession(token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"))).toBeNull();
    await expect(store.createSession("00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("an expired session is null and its row is deleted", async () => {
    const store = await open();
    const user = await store.createUser({ username: "ana", password: PASSWORD, role: "viewer" }, "tester");
    const { token } = await store.createSession(user.id);
    now = T0 + 12 * HOUR;
    expect(await store.validateSession(token)).toBeNull();
    // The row is gone: winding the clock back does not revive it.
    now = T0;
    expect(await store.validateSession(token)).toBeNull();
  });

  it("a user's expired sessions are swept when that user logs in again", async () => {
    backend.useFile?.();
    const store = await open();
    const ana = await store.createUser({ username: "ana", password: PASSWORD, role: "viewer" }, "tester");
    const bob = await store.createUser({ username: "bob", password: PASSWORD, role: "viewer" }, "tester");
    const stale = await store.createSession(ana.id);
    const bobs = await store.createSession(bob.id);
    now = T0 + 13 * HOUR;
    const fresh = await store.createSession(ana.id);
    const dump = await backend.dump();
    expect(dump).not.toContain(sha256(stale.token));
    expect(dump).toContain(sha256(fresh.token));
    expect(dump).toContain(sha256(bobs.token)); // expired too, but not ana's: left for bob's next login
  });

  it("slides the expiry once less than half the lifetime remains", async () => {
    const store = await open();
    const user = await store.createUser({ username: "ana", password: PASSWORD, role: "viewer" }, "tester");
    const { token, expiresAt } = await store.createSession(user.id);
    now = T0 + 6 * HOUR; // exactly half left: not yet
    expect(await store.validateSession(token)).toEqual({ user, expiresAt, renewed: false });
    now = T0 + 7 * HOUR;
    const renewed = await store.validateSession(token);
    expect(renewed).toEqual({ user, expiresAt: new Date(now + 12 * HOUR).toISOString(), renewed: true });
    now = T0 + 8 * HOUR;
    expect(await store.validateSession(token)).toEqual({ ...renewed, renewed: false });
    now = T0 + 15 * HOUR; // past the original expiry, within the renewed one
    expect((await store.validateSession(token))?.renewed).toBe(true);
    now += 12 * HOUR;
    expect(await store.validateSession(token)).toBeNull();
  });

  it("validateSession with renew: false never slides the expiry (a re-check is not activity)", async () => {
    const store = await open();
    const user = await store.createUser({ username: "ana", password: PASSWORD, role: "viewer" }, "tester");
    const { token, expiresAt } = await store.createSession(user.id);
    now = T0 + 11 * HOUR;
    expect(await store.validateSession(token, { renew: false })).toEqual({ user, expiresAt, renewed: false });
    now = T0 + 12 * HOUR;
    expect(await store.validateSession(token, { renew: false })).toBeNull();
  });

  it("honours a custom session lifetime", async () => {
    const store = await open({ sessionTtlMs: 60_000 });
    const user = await store.createUser({ username: "ana", password: PASSWORD, role: "viewer" }, "tester");
    const { token, expiresAt } = await store.createSession(user.id);
    expect(expiresAt).toBe(new Date(T0 + 60_000).toISOString());
    now = T0 + 31_000;
    expect((await store.validateSession(token))?.expiresAt).toBe(new Date(T0 + 91_000).toISOString());
    now = T0 + 91_000;
    expect(await store.validateSession(token)).toBeNull();
  });

  it("creates and validates API tokens", async () => {
    const store = await open();
    const user = await store.createUser({ username: "ci-bot", password: PASSWORD, role: "viewer" }, "tester");
    const { token } = await store.createApiToken(user.id, "  nightly export  ", "tester");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.validateApiToken(token)).toEqual(user);
    now += HOUR;
    expect(await store.validateApiToken(token)).toEqual(user);
    expect(await store.validateApiToken(token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"))).toBeNull();
    expect(await store.validateApiToken("")).toBeNull();
    // A session token is not an API token, and the other way round.
    const session = await store.createSession(user.id);
    expect(await store.validateApiToken(session.token)).toBeNull();
    expect(await store.validateSession(token)).toBeNull();
    const err = await rejection(store.createApiToken(user.id, "   ", "tester"));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual([["label"]]);
    await expect(store.createApiToken("00000000-0000-4000-8000-000000000000", "x", "tester")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("setPassword: the new password works, the old one not; every session of that user ends, API tokens stay", async () => {
    const store = await open();
    const ana = await store.createUser({ username: "ana", password: PASSWORD, role: "admin" }, "tester");
    const bob = await store.createUser({ username: "bob", password: PASSWORD, role: "viewer" }, "tester");
    const s1 = await store.createSession(ana.id);
    const s2 = await store.createSession(ana.id);
    const sBob = await store.createSession(bob.id);
    const { token } = await store.createApiToken(ana.id, "script", "tester");
    expect(await store.setPassword("ana", "a brand new passphrase", "tester")).toEqual(ana);
    expect(await store.verifyPassword("ana", PASSWORD)).toBeNull();
    expect(await store.verifyPassword("ana", "a brand new passphrase")).toEqual(ana);
    expect(await store.validateSession(s1.token)).toBeNull();
    expect(await store.validateSession(s2.token)).toBeNull();
    expect((await store.validateSession(sBob.token))?.user).toEqual(bob);
    expect(await store.validateApiToken(token)).toEqual(ana);

    const err = await rejection(store.setPassword("bob", "short", "tester"));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual([["password"]]);
    expect(await store.verifyPassword("bob", PASSWORD)).toEqual(bob);
    await expect(store.setPassword("nobody", "a brand new passphrase", "tester")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("setRole and removeUser never leave the console without an admin", async () => {
    const store = await open();
    const ana = await store.createUser({ username: "ana", password: PASSWORD, role: "admin" }, "tester");
    const bob = await store.createUser({ username: "bob", password: PASSWORD, role: "viewer" }, "tester");
    const session = await store.createSession(ana.id);
    const demote = await rejection(store.setRole("ana", "viewer", "tester"));
    expect(demote).toBeInstanceOf(ConflictError);
    expect(String((demote as Error).message)).toMatch(/only admin/);
    await expect(store.removeUser("ana", "tester")).rejects.toBeInstanceOf(ConflictError);
    expect((await store.findUserByName("ana"))?.role).toBe("admin");

    expect(await store.setRole("bob", "admin", "tester")).toEqual({ ...bob, role: "admin" });
    expect(await store.setRole("ana", "viewer", "tester")).toEqual({ ...ana, role: "viewer" });
    // The role is read with the session: effective on the next request.
    expect((await store.validateSession(session.token))?.user.role).toBe("viewer");
    expect(await store.setRole("ana", "viewer", "tester")).toEqual({ ...ana, role: "viewer" }); // idempotent
    await expect(store.removeUser("bob", "tester")).rejects.toBeInstanceOf(ConflictError);
    await expect(store.setRole("nobody", "admin", "tester")).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.setRole("ana", "root" as never, "tester")).rejects.toBeInstanceOf(ValidationError);
  });

  it("two admins removing each other at the same time: exactly one succeeds, one admin is left", async () => {
    backend.useFile?.();
    const a = await open();
    const b = await open();
    await a.createUser({ username: "ana", password: PASSWORD, role: "admin" }, "tester");
    await a.createUser({ username: "bob", password: PASSWORD, role: "admin" }, "tester");
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled([a.removeUser("ana", "tester"), b.removeUser("bob", "tester")]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(refused?.reason).toBeInstanceOf(ConflictError);
      const admins = (await a.listUsers()).filter((u) => u.role === "admin");
      expect(admins).toHaveLength(1);
      // Put the removed one back for the next round.
      const gone = admins[0]?.username === "ana" ? "bob" : "ana";
      await a.createUser({ username: gone, password: PASSWORD, role: "admin" }, "tester");
    }
  });

  it("removeUser deletes the user with its sessions and API tokens", async () => {
    const store = await open();
    await store.createUser({ username: "root", password: PASSWORD, role: "admin" }, "tester");
    const ana = await store.createUser({ username: "ana", password: PASSWORD, role: "admin" }, "tester");
    const session = await store.createSession(ana.id);
    const { token } = await store.createApiToken(ana.id, "script", "tester");
    expect(await store.removeUser("ana", "tester")).toEqual(ana);
    expect(await store.findUserByName("ana")).toBeNull();
    expect(await store.validateSession(session.token)).toBeNull();
    expect(await store.validateApiToken(token)).toBeNull();
    expect(await store.listApiTokens()).toEqual([]);
    await expect(store.removeUser("ana", "tester")).rejects.toBeInstanceOf(NotFoundError);
    // The name is free again.
    expect((await store.createUser({ username: "ana", password: PASSWORD, role: "viewer" }, "tester")).username).toBe("ana");
  });

  it("lists API tokens by a short id (a prefix of the stored SHA-256, never the token) and revokes one by it", async () => {
    const store = await open();
    const ana = await store.createUser({ username: "ana", password: PASSWORD, role: "admin" }, "tester");
    const bot = await store.createUser({ username: "bot", password: PASSWORD, role: "viewer" }, "tester");
    const a = await store.createApiToken(ana.id, "laptop", "tester");
    now += HOUR;
    const b = await store.createApiToken(bot.id, "nightly export", "tester");
    await store.validateApiToken(b.token);
    const listed = await store.listApiTokens();
    expect(listed).toEqual([
      { id: sha256(a.token).slice(0, 12), username: "ana", label: "laptop", createdAt: new Date(T0).toISOString(), lastUsedAt: null },
      { id: sha256(b.token).slice(0, 12), username: "bot", label: "nightly export", createdAt: new Date(T0 + HOUR).toISOString(), lastUsedAt: new Date(T0 + HOUR).toISOString() },
    ]);
    expect(JSON.stringify(listed)).not.toContain(a.token);

    expect(await store.revokeApiToken(sha256(b.token).slice(0, 8).toUpperCase(), "tester")).toEqual(listed[1]);
    expect(await store.validateApiToken(b.token)).toBeNull();
    expect(await store.validateApiToken(a.token)).toEqual(ana);
    await expect(store.revokeApiToken(sha256(b.token).slice(0, 12), "tester")).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.revokeApiToken("abc", "tester")).rejects.toBeInstanceOf(ValidationError);
    await expect(store.revokeApiToken("not hex!", "tester")).rejects.toBeInstanceOf(ValidationError);
  });

  it("logs every account change in the same transaction, newest first; refused changes log nothing", async () => {
    const store = await open();
    const ana = await store.createUser({ username: "ana", password: PASSWORD, role: "admin" }, "setup");
    now += 1000;
    await store.createUser({ username: "bob", password: PASSWORD, role: "viewer" }, "ana");
    now += 1000;
    await store.setRole("bob", "admin", "ana");
    await expect(store.removeUser("nobody", "ana")).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.setPassword("bob", "short", "ana")).rejects.toBeInstanceOf(ValidationError);
    await expect(store.createUser({ username: "bob", password: PASSWORD, role: "viewer" }, "ana")).rejects.toBeInstanceOf(ConflictError);
    await store.setPassword("bob", "bob's new passphrase", "ana");
    const { token } = await store.createApiToken(ana.id, "laptop", "ana");
    const id = sha256(token).slice(0, 12);
    await store.revokeApiToken(id, "bob");
    await store.setRole("ana", "viewer", "bob");
    await expect(store.removeUser("bob", "ana")).rejects.toBeInstanceOf(ConflictError); // the only admin now
    const log = await store.listAuthLog();
    expect(log.map((e) => [e.action, e.username, e.actor, e.detail])).toEqual([
      ["role_changed", "ana", "bob", "admin → viewer"],
      ["token_revoked", "ana", "bob", `token ${id} "laptop"`],
      ["token_created", "ana", "ana", `token ${id} "laptop"`],
      ["password_set", "bob", "ana", "every session ended"],
      ["role_changed", "bob", "ana", "viewer → admin"],
      ["user_added", "bob", "ana", "role viewer"],
      ["user_added", "ana", "setup", "role admin"],
    ]);
    expect(log[0]?.at).toMatch(ISO);
    expect(log.map((e) => e.seq)).toEqual([...log.map((e) => e.seq)].sort((x, y) => y - x));
    expect((await store.listAuthLog({ username: "bob" })).map((e) => e.action)).toEqual(["password_set", "role_changed", "user_added"]);
    const page2 = await store.listAuthLog({ limit: 2, before: log[1]!.seq });
    expect(page2.map((e) => e.action)).toEqual(["token_created", "password_set"]);
    expect(JSON.stringify(log)).not.toContain(token);
    expect(JSON.stringify(log)).not.toContain("passphrase");
  });

  it("stores no plaintext password or token: argon2id hashes and SHA-256 token ids only", async () => {
    backend.useFile?.();
    const store = await open();
    const user = await store.createUser({ username: "ana", password: PASSWORD, role: "admin" }, "tester");
    const session = await store.createSession(user.id);
    const api = await store.createApiToken(user.id, "script", "tester");
    expect(await store.validateApiToken(api.token)).toEqual(user);
    const dump = await backend.dump();
    expect(dump).not.toContain(PASSWORD);
    expect(dump).not.toContain(session.token);
    expect(dump).not.toContain(api.token);
    expect(dump).toContain(sha256(session.token));
    expect(dump).toContain(sha256(api.token));
    const [[userRow], [sessionRow], [tokenRow]] = JSON.parse(dump) as [Record<string, unknown>[], Record<string, unknown>[], Record<string, unknown>[]];
    expect(userRow?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(sessionRow).toMatchObject({ id: sha256(session.token), user_id: user.id });
    expect(tokenRow).toMatchObject({ id: sha256(api.token), user_id: user.id, label: "script" });
    expect(tokenRow?.last_used_at).not.toBeNull();
  });
});
