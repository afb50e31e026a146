import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openAuthStore, type AuthStore } from "../lib/auth";
import { ConfigError } from "./config";
import { seedAdmin, seedFirstAdmin } from "./seed-admin";

const stores: AuthStore[] = [];
const roots: string[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
afterAll(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function tempRoot(): string {
  const r = mkdtempSync(path.join(tmpdir(), "ttp-seed-"));
  roots.push(r);
  return r;
}

async function freshStore(): Promise<AuthStore> {
  const s = await openAuthStore(":memory:");
  stores.push(s);
  return s;
}

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => (text += d.toString()));
  return { out, text: () => text };
}

/** data/initial-admin-password under a fresh temporary "project root" (data/ not yet there). */
function passwordFileInFreshRoot(): string {
  return path.join(tempRoot(), "data", "initial-admin-password");
}

const mode = (file: string): number => statSync(file).mode & 0o777;

describe("seedAdmin (first run of npm start)", () => {
  it("creates admin once with a random password, printed once and written to a 0600 file", async () => {
    const store = await freshStore();
    const passwordFile = passwordFileInFreshRoot();
    const { out, text } = capture();
    const result = await seedAdmin(store, { passwordFile, out });
    expect(result).toMatchObject({ created: true, generated: true, user: { username: "admin", role: "admin", createdBy: "system:first-run" } });
    const password = readFileSync(passwordFile, "utf8").trimEnd();
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(mode(passwordFile)).toBe(0o600);
    expect(text()).toContain(`password: ${password}`);
    expect(text().split(password)).toHaveLength(2); // exactly once
    expect(await store.verifyPassword("admin", password)).toMatchObject({ username: "admin", role: "admin" });

    const again = capture();
    expect(await seedAdmin(store, { passwordFile, out: again.out })).toEqual({ created: false });
    expect(again.text()).toBe("");
    expect(readFileSync(passwordFile, "utf8").trimEnd()).toBe(password);
    expect(await store.countUsers()).toBe(1);
  });

  it("tightens an existing, world-readable password file to 0600", async () => {
    const store = await freshStore();
    const passwordFile = passwordFileInFreshRoot();
    await seedAdmin(await freshStore(), { passwordFile, out: capture().out });
    chmodSync(passwordFile, 0o644);
    writeFileSync(passwordFile, "stale\n");
    await seedAdmin(store, { passwordFile, out: capture().out });
    expect(mode(passwordFile)).toBe(0o600);
    expect(await store.verifyPassword("admin", readFileSync(passwordFile, "utf8").trimEnd())).not.toBeNull();
  });

  it("replaces a symlink planted at the password path instead of writing through it", async () => {
    const store = await freshStore();
    const passwordFile = passwordFileInFreshRoot();
    const target = path.join(path.dirname(path.dirname(passwordFile)), "victim.txt");
    writeFileSync(target, "do not overwrite\n", { mode: 0o644 });
    mkdirSync(path.dirname(passwordFile), { mode: 0o700 });
    symlinkSync(target, passwordFile);
    await seedAdmin(store, { passwordFile, out: capture().out });
    expect(readFileSync(target, "utf8")).toBe("do not overwrite\n");
    expect(mode(target)).toBe(0o644);
    expect(lstatSync(passwordFile).isSymbolicLink()).toBe(false);
    expect(mode(passwordFile)).toBe(0o600);
    expect(await store.verifyPassword("admin", readFileSync(passwordFile, "utf8").trimEnd())).not.toBeNull();
  });

  it("creates data/ 0700", async () => {
    const passwordFile = passwordFileInFreshRoot();
    await seedAdmin(await freshStore(), { passwordFile, out: capture().out });
    expect(mode(path.dirname(passwordFile))).toBe(0o700);
  });

  it("uses TTP_ADMIN_PASSWORD when set: no file, the password is not printed", async () => {
    const store = await freshStore();
    const passwordFile = passwordFileInFreshRoot();
    const { out, text } = capture();
    const result = await seedAdmin(store, { adminPassword: "operator-chosen-pw", passwordFile, out });
    expect(result).toMatchObject({ created: true, generated: false });
    expect(await store.verifyPassword("admin", "operator-chosen-pw")).not.toBeNull();
    expect(existsSync(passwordFile)).toBe(false);
    expect(text()).toContain("TTP_ADMIN_PASSWORD");
    expect(text()).not.toContain("operator-chosen-pw");
  });

  it("a TTP_ADMIN_PASSWORD that breaks the policy is a ConfigError and creates nothing", async () => {
    const store = await freshStore();
    const err = await seedAdmin(store, { adminPassword: "short", passwordFile: passwordFileInFreshRoot(), out: capture().out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^TTP_ADMIN_PASSWORD: password must be at least 10 characters/);
    expect(await store.countUsers()).toBe(0);
  });

  it("does nothing when any user exists, even with TTP_ADMIN_PASSWORD set", async () => {
    const store = await freshStore();
    await store.createUser({ username: "ana", password: "0123456789", role: "viewer" }, "test");
    const passwordFile = passwordFileInFreshRoot();
    expect(await seedAdmin(store, { adminPassword: "operator-chosen-pw", passwordFile, out: capture().out })).toEqual({ created: false });
    expect(await store.findUserByName("admin")).toBeNull();
    expect(existsSync(passwordFile)).toBe(false);
  });

  it("two concurrent first runs on one database create exactly one admin", async () => {
    const store = await freshStore();
    const passwordFile = passwordFileInFreshRoot();
    const results = await Promise.all([seedAdmin(store, { passwordFile, out: capture().out }), seedAdmin(store, { passwordFile, out: capture().out })]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await store.countUsers()).toBe(1);
    expect(await store.verifyPassword("admin", readFileSync(passwordFile, "utf8").trimEnd())).not.toBeNull();
  });

  it("seedFirstAdmin opens the database at a URL, seeds it and closes it", async () => {
    const root = tempRoot();
    const url = `file:${path.join(root, "data", "ttp.db")}`;
    const passwordFile = path.join(root, "data", "initial-admin-password");
    expect(await seedFirstAdmin(url, { passwordFile, out: capture().out })).toMatchObject({ created: true });
    expect(await seedFirstAdmin(url, { passwordFile, out: capture().out })).toEqual({ created: false });
    const store = await openAuthStore(url);
    stores.push(store);
    expect(await store.verifyPassword("admin", readFileSync(passwordFile, "utf8").trimEnd())).not.toBeNull();
  });
});
