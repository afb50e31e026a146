// `ttp user …` and `ttp token …`, each command a real OS process on a temporary SQLite file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openAuthStore, type AuthStore } from "../lib/auth";
import { createHash } from "node:crypto";
import { runCli, type CliResult } from "./testing/run-cli";

const root = mkdtempSync(path.join(tmpdir(), "ttp-user-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function freshEnv(): Record<string, string> {
  // TTP_RULE_STORE=filesystem: users live in DATABASE_URL whatever the rule store is.
  return { DATABASE_URL: `file:${path.join(root, `users-${++n}.db`)}`, TTP_RULE_STORE: "filesystem" };
}

const stores: AuthStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
async function storeFor(env: Record<string, string>): Promise<AuthStore> {
  const s = await openAuthStore(env.DATABASE_URL!);
  stores.push(s);
  return s;
}

/** A CLI result as one object, so a failed expectation shows the command's whole output. */
const outcome = (r: CliResult) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });

describe("ttp user / ttp token", { timeout: 60_000 }, () => {
  it("user add reads the password from stdin (one trailing newline trimmed); list shows the users", async () => {
    const env = freshEnv();
    const add = await runCli(["user", "add", "ana", "--role", "admin", "--password-stdin"], { env, input: "secret pass word\n" });
    expect(outcome(add)).toEqual({ code: 0, stdout: "created user ana (admin)\n", stderr: "" });
    const add2 = await runCli(["user", "add", "bob", "--role", "viewer", "--password-stdin"], { env, input: "  spaced password \r\n" });
    expect(outcome(add2)).toMatchObject({ code: 0, stdout: "created user bob (viewer)\n" });

    const store = await storeFor(env);
    expect(await store.verifyPassword("ana", "secret pass word")).toMatchObject({ username: "ana", role: "admin" });
    expect(await store.verifyPassword("ana", "secret pass word\n")).toBeNull();
    expect(await store.verifyPassword("bob", "  spaced password ")).not.toBeNull();

    const list = await runCli(["user", "list"], { env });
    expect(outcome(list)).toMatchObject({ code: 0, stderr: "" });
    expect(list.stdout.trimEnd().split("\n").map((l) => l.split("\t").slice(0, 2))).toEqual([
      ["ana", "admin"],
      ["bob", "viewer"],
    ]);
    const json = await runCli(["user", "list", "--json"], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      { id: expect.any(String), username: "ana", role: "admin", created_at: expect.stringMatching(/Z$/), created_by: expect.stringMatching(/^cli:/) },
      { id: expect.any(String), username: "bob", role: "viewer", created_at: expect.stringMatching(/Z$/), created_by: expect.stringMatching(/^cli:/) },
    ]);
  });

  it("exit 1 with a clear message for a taken name, a bad name, a short password, a bad role or a password on argv", async () => {
    const env = freshEnv();
    expect((await runCli(["user", "add", "ana", "--role", "viewer", "--password-stdin"], { env, input: "0123456789" })).code).toBe(0);
    const taken = await runCli(["user", "add", "ana", "--role", "admin", "--password-stdin"], { env, input: "another password" });
    expect(outcome(taken)).toEqual({ code: 1, stdout: "", stderr: 'ttp: username "ana" is already taken\n' });
    const badName = await runCli(["user", "add", "a b", "--role", "viewer", "--password-stdin"], { env, input: "0123456789" });
    expect(outcome(badName)).toEqual({ code: 1, stdout: "", stderr: "ttp user add: username may contain only letters, digits and _ . @ -\n" });
    const short = await runCli(["user", "add", "carl", "--role", "viewer", "--password-stdin"], { env, input: "123456789\n" });
    expect(outcome(short)).toEqual({ code: 1, stdout: "", stderr: "ttp user add: password must be at least 10 characters\n" });
    const role = await runCli(["user", "add", "carl", "--role", "root", "--password-stdin"], { env, input: "0123456789" });
    expect(outcome(role)).toMatchObject({ code: 1, stderr: expect.stringContaining("--role must be one of viewer, admin") });
    const argv = await runCli(["user", "add", "carl", "--role", "viewer", "--password", "0123456789"], { env });
    expect(outcome(argv)).toMatchObject({ code: 1, stderr: expect.stringContaining("--password") });
    const noStdin = await runCli(["user", "add", "carl", "--role", "viewer"], { env });
    expect(outcome(noStdin)).toMatchObject({ code: 1, stderr: expect.stringContaining("stdin") });
    expect(await (await storeFor(env)).countUsers()).toBe(1);
  }, 90_000);

  it("exit 2 when the database cannot be opened", async () => {
    const r = await runCli(["user", "list"], { env: { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ttp: /);
  });

  it("token create prints a token once on stdout that validates as an API token of that user", async () => {
    const env = freshEnv();
    await runCli(["user", "add", "ci-bot", "--role", "viewer", "--password-stdin"], { env, input: "0123456789" });
    const created = await runCli(["token", "create", "ci-bot", "--label", "nightly export"], { env });
    expect(outcome(created)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^[A-Za-z0-9_-]{43}\n$/), stderr: expect.stringContaining("Bearer") });
    const token = created.stdout.trim();
    const store = await storeFor(env);
    expect(await store.validateApiToken(token)).toMatchObject({ username: "ci-bot", role: "viewer" });

    const unknown = await runCli(["token", "create", "nobody", "--label", "x"], { env });
    expect(outcome(unknown)).toEqual({ code: 1, stdout: "", stderr: 'ttp: unknown user "nobody"\n' });
    const noLabel = await runCli(["token", "create", "ci-bot"], { env });
    expect(outcome(noLabel)).toMatchObject({ code: 1, stdout: "", stderr: expect.stringContaining("--label") });
    const longLabel = await runCli(["token", "create", "ci-bot", "--label", "x".repeat(101)], { env });
    expect(outcome(longLabel)).toEqual({ code: 1, stdout: "", stderr: "ttp token create: label must be at most 100 characters\n" });
  });

  it("user passwd signs the user out everywhere; user role and user remove keep one admin at least", async () => {
    const env = freshEnv();
    await runCli(["user", "add", "ana", "--role", "admin", "--password-stdin"], { env, input: "first password" });
    await runCli(["user", "add", "bob", "--role", "viewer", "--password-stdin"], { env, input: "first password" });
    const store = await storeFor(env);
    const ana = await store.findUserByName("ana");
    const session = await store.createSession(ana!.id);

    const passwd = await runCli(["user", "passwd", "ana", "--password-stdin"], { env, input: "second password\n" });
    expect(outcome(passwd)).toMatchObject({ code: 0, stdout: expect.stringContaining("password of ana changed") });
    expect(await store.verifyPassword("ana", "second password")).toMatchObject({ username: "ana" });
    expect(await store.validateSession(session.token)).toBeNull();
    const short = await runCli(["user", "passwd", "ana", "--password-stdin"], { env, input: "short" });
    expect(outcome(short)).toEqual({ code: 1, stdout: "", stderr: "ttp user passwd: password must be at least 10 characters\n" });
    const noStdin = await runCli(["user", "passwd", "ana"], { env });
    expect(outcome(noStdin)).toMatchObject({ code: 1, stderr: expect.stringContaining("stdin") });

    const demote = await runCli(["user", "role", "ana", "viewer"], { env });
    expect(outcome(demote)).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/^ttp: "ana" is the only admin: add another admin first/) });
    const remove = await runCli(["user", "remove", "ana"], { env });
    expect(outcome(remove)).toMatchObject({ code: 1, stderr: expect.stringContaining("only admin") });
    expect(outcome(await runCli(["user", "role", "bob", "admin"], { env }))).toEqual({ code: 0, stdout: "bob is now admin (from their next request)\n", stderr: "" });
    expect(outcome(await runCli(["user", "role", "bob", "root"], { env }))).toMatchObject({ code: 1, stderr: expect.stringContaining("viewer, admin") });
    expect(outcome(await runCli(["user", "remove", "ana"], { env }))).toEqual({ code: 0, stdout: "removed user ana (admin) with their sessions and API tokens\n", stderr: "" });
    expect(outcome(await runCli(["user", "remove", "ana"], { env }))).toEqual({ code: 1, stdout: "", stderr: 'ttp: unknown user "ana"\n' });
    expect((await store.listUsers()).map((u) => [u.username, u.role])).toEqual([["bob", "admin"]]);
    // Every change above is in the account log, recorded as the OS account that ran the CLI.
    const log = await runCli(["user", "log", "--json"], { env });
    const entries = JSON.parse(log.stdout) as { action: string; username: string; actor: string }[];
    expect(entries.map((e) => [e.action, e.username])).toEqual([
      ["user_removed", "ana"],
      ["role_changed", "bob"],
      ["password_set", "ana"],
      ["user_added", "bob"],
      ["user_added", "ana"],
    ]);
    expect(new Set(entries.map((e) => e.actor)).size).toBe(1);
    expect(entries[0]?.actor).toMatch(/^cli:/);
    const text = await runCli(["user", "log", "--user", "bob", "--limit", "1"], { env });
    expect(text.stdout.split("\t").slice(3, 5)).toEqual(["role_changed", "bob"]);
  }, 90_000);

  it("token list shows short ids, never tokens; token revoke <id> ends one token", async () => {
    const env = freshEnv();
    await runCli(["user", "add", "ci-bot", "--role", "viewer", "--password-stdin"], { env, input: "0123456789" });
    const t1 = (await runCli(["token", "create", "ci-bot", "--label", "export"], { env })).stdout.trim();
    const t2 = (await runCli(["token", "create", "ci-bot", "--label", "import"], { env })).stdout.trim();
    const id = (t: string) => createHash("sha256").update(t).digest("hex").slice(0, 12);
    const list = await runCli(["token", "list", "--json"], { env });
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as { id: string; username: string; label: string; last_used_at: string | null }[];
    expect(rows.map((r) => [r.id, r.username, r.label, r.last_used_at]).sort()).toEqual(
      [
        [id(t1), "ci-bot", "export", null],
        [id(t2), "ci-bot", "import", null],
      ].sort(),
    );
    expect(list.stdout).not.toContain(t1);
    const revoke = await runCli(["token", "revoke", id(t1)], { env });
    expect(outcome(revoke)).toEqual({ code: 0, stdout: `revoked API token ${id(t1)} "export" of ci-bot\n`, stderr: "" });
    const store = await storeFor(env);
    expect(await store.validateApiToken(t1)).toBeNull();
    expect(await store.validateApiToken(t2)).toMatchObject({ username: "ci-bot" });
    expect(outcome(await runCli(["token", "revoke", id(t1)], { env }))).toEqual({ code: 1, stdout: "", stderr: `ttp: no API token with id ${id(t1)}\n` });
    expect(outcome(await runCli(["token", "revoke", "xyz"], { env }))).toMatchObject({ code: 1, stderr: expect.stringContaining("6 to 64 hex digits") });
    const text = await runCli(["token", "list"], { env });
    expect(text.stdout.split("\t").slice(0, 3)).toEqual([id(t2), "ci-bot", "import"]);
  }, 90_000);
});
