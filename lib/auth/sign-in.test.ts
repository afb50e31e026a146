import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestPgDatabase, type TestPgDatabase } from "../../db/testing/pg";
import { LineProcess, TSX_LOADER } from "../../testing/child-process";
import { openAuthStore } from "./auth-store";
import { clientAddress } from "./client-address";
import { openLoginThrottle, type LoginThrottle } from "./login-throttle";
import { verifyPasswordThrottled, type PasswordCheck, type PasswordCheckContext } from "./sign-in";
import type { AuthStore } from "./types";

// Integration: the function the sign-in and change-password actions call, on a real database, with
// the real auth store (argon2) behind a wrapper that only counts verifications.

const here = path.dirname(fileURLToPath(import.meta.url));
const PASSWORD = "correct horse battery";

interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  url(): string;
}

function sqliteBackend(): Backend {
  let dir = "";
  return {
    name: "SQLite",
    setup: async () => {
      dir = await mkdtemp(path.join(tmpdir(), "ttp-sign-in-"));
    },
    teardown: () => rm(dir, { recursive: true, force: true }),
    url: () => `file:${path.join(dir, "ttp.db")}`,
  };
}

function pgBackend(): Backend {
  let db: TestPgDatabase | undefined;
  return {
    name: "PostgreSQL",
    setup: async () => {
      db = await createTestPgDatabase();
    },
    teardown: async () => {
      await db?.drop();
    },
    url: () => db!.url,
  };
}

const count = (results: PasswordCheck[], what: "ok" | "wrong-password" | "throttled"): number =>
  results.filter((r) => (what === "ok" ? r.ok : !r.ok && r.reason === what)).length;

interface ChildResult {
  verified: number;
  throttled: number;
  attempts: number;
}

/** Starts a sign-in child; resolves once it has opened the database and waits for "go". */
async function startChild(url: string, username: string, n: number): Promise<{ child: LineProcess; result: Promise<ChildResult> }> {
  const child = new LineProcess(`sign-in child (${n})`, ["--import", TSX_LOADER, path.join(here, "testing", "sign-in-child.ts"), url, username, String(n)]);
  const result = child.exited.then((status) => {
    if (status.code !== 0) throw new Error(`child exited ${status.code}: ${child.stderr}`);
    return JSON.parse(child.stdoutLines.filter(Boolean).at(-1)!) as ChildResult;
  });
  // Handled by the caller once ready; a child that dies before then fails waitForLine.
  result.catch(() => undefined);
  await child.waitForLine((line) => line === "ready", "ready");
  return { child, result };
}

describe.each([sqliteBackend(), pgBackend()].map((b) => [b.name, b] as const))("sign-in throttle on %s (real processes, real argon2)", (_name, backend) => {
  let auth: AuthStore;
  const throttles: LoginThrottle[] = [];
  let users = 0;

  beforeAll(async () => {
    await backend.setup();
    auth = await openAuthStore(backend.url());
  });
  afterAll(async () => {
    await auth?.close();
    await backend.teardown();
  });
  afterEach(async () => {
    for (const t of throttles.splice(0)) await t.close();
  });

  async function newUser(): Promise<string> {
    const username = `user${++users}`;
    await auth.createUser({ username, password: PASSWORD, role: "viewer" }, "test");
    return username;
  }

  async function throttle(): Promise<LoginThrottle> {
    const t = await openLoginThrottle(backend.url());
    throttles.push(t);
    return t;
  }

  /** The real auth store, counting verifications (one argon2 verify each). */
  function counting(): { ctx: (t: LoginThrottle) => PasswordCheckContext; verified: () => number } {
    let n = 0;
    const counted = { verifyPassword: (u: string, p: string) => (n++, auth.verifyPassword(u, p)) };
    return { ctx: (throttle) => ({ auth: counted, throttle }), verified: () => n };
  }

  it("40 concurrent wrong sign-ins for one user reach argon2 at most 5 times; then even the right password is refused", async () => {
    const username = await newUser();
    const t = await throttle();
    const c = counting();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => verifyPasswordThrottled(c.ctx(t), { username, password: `wrong-${i}`, ip: null })));
    // Consume-first: exactly maxFailures attempts get a point, whatever the interleaving.
    expect(c.verified()).toBe(5);
    expect(count(results, "wrong-password")).toBe(5);
    expect(count(results, "throttled")).toBe(35);
    const after = await verifyPasswordThrottled(c.ctx(t), { username, password: PASSWORD, ip: null });
    expect(after).toMatchObject({ ok: false, reason: "throttled" });
    expect((after as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(14 * 60_000);
    expect(c.verified()).toBe(5);
  });

  it("the right password signs in and resets the count", async () => {
    const username = await newUser();
    const t = await throttle();
    const c = counting();
    for (let i = 0; i < 4; i++) expect(await verifyPasswordThrottled(c.ctx(t), { username, password: "wrong", ip: null })).toEqual({ ok: false, reason: "wrong-password" });
    expect(await verifyPasswordThrottled(c.ctx(t), { username, password: PASSWORD, ip: null })).toMatchObject({ ok: true, user: { username } });
    for (let i = 0; i < 4; i++) expect(await verifyPasswordThrottled(c.ctx(t), { username, password: "wrong", ip: null })).toEqual({ ok: false, reason: "wrong-password" });
    expect(c.verified()).toBe(9);
  });

  it("two throttles on separate connections to one database share the count", async () => {
    const username = await newUser();
    const [a, b] = [await throttle(), await throttle()];
    const c = counting();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => verifyPasswordThrottled(c.ctx(i % 2 === 0 ? a : b), { username, password: `wrong-${i}`, ip: null })),
    );
    expect(c.verified()).toBe(5);
    expect(count(results, "throttled")).toBe(35);
    expect((await verifyPasswordThrottled(c.ctx(a), { username, password: PASSWORD, ip: null })).ok).toBe(false);
    expect((await verifyPasswordThrottled(c.ctx(b), { username, password: PASSWORD, ip: null })).ok).toBe(false);
  });

  it("two dashboard processes share the count: 2 × 20 concurrent wrong sign-ins, at most 5 verified in all", async () => {
    const username = await newUser();
    const children = await Promise.all([startChild(backend.url(), username, 20), startChild(backend.url(), username, 20)]);
    for (const { child } of children) {
      child.send("go");
      child.endInput();
    }
    const results = await Promise.all(children.map((c) => c.result));
    const verified = results.reduce((n, r) => n + r.verified, 0);
    expect(results.map((r) => r.attempts)).toEqual([20, 20]);
    expect(verified).toBe(5);
    expect(results.reduce((n, r) => n + r.throttled, 0)).toBe(35);
    const c = counting();
    expect((await verifyPasswordThrottled(c.ctx(await throttle()), { username, password: PASSWORD, ip: null })).ok).toBe(false);
    expect(c.verified()).toBe(0);
  }, 60_000);

  it("TTP_TRUST_PROXY=true: 200 sign-ins rotating the client-chosen leftmost X-Forwarded-For entry are throttled by the proxy's entry", async () => {
    const username = await newUser();
    const t = await throttle();
    const c = counting();
    const results: PasswordCheck[] = [];
    for (let i = 0; i < 200; i++) {
      const ip = clientAddress(`198.18.${i >> 8}.${i & 255}, 203.0.113.9`, 1);
      expect(ip).toBe("203.0.113.9");
      results.push(await verifyPasswordThrottled(c.ctx(t), { username, password: `wrong-${i}`, ip }));
    }
    expect(c.verified()).toBe(5);
    expect(count(results, "throttled")).toBe(195);
    // Another client address (appended by the proxy) is counted apart: the user can still sign in from there.
    expect(await verifyPasswordThrottled(c.ctx(t), { username, password: PASSWORD, ip: clientAddress("203.0.113.10", 1) })).toMatchObject({ ok: true });
  });

  it("TTP_TRUST_PROXY=2: the second entry from the right is the client; entries left of it do not escape the limit", async () => {
    const username = await newUser();
    const t = await throttle();
    const c = counting();
    for (let i = 0; i < 50; i++) {
      const ip = clientAddress(`10.${i}.0.1, 203.0.113.20, 10.0.0.2`, 2);
      expect(ip).toBe("203.0.113.20");
      await verifyPasswordThrottled(c.ctx(t), { username, password: `wrong-${i}`, ip });
    }
    expect(c.verified()).toBe(5);
    // The first proxy's address (rightmost) is not the client: a different one changes nothing.
    expect(await verifyPasswordThrottled(c.ctx(t), { username, password: PASSWORD, ip: clientAddress("203.0.113.20, 10.0.0.3", 2) })).toMatchObject({ ok: false, reason: "throttled" });
    expect(await verifyPasswordThrottled(c.ctx(t), { username, password: PASSWORD, ip: clientAddress("203.0.113.21, 10.0.0.2", 2) })).toMatchObject({ ok: true });
  });
});
