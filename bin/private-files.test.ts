import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "../db/open-database";
import { tightenPrivateFiles, writePrivateFile } from "./private-files";
import { seedFirstAdmin } from "./seed-admin";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function tempRoot(): string {
  const r = mkdtempSync(path.join(tmpdir(), "ttp-private-"));
  roots.push(r);
  return r;
}

const mode = (file: string): number => statSync(file).mode & 0o777;

/** The steps `npm start` runs before serving, in its order (bin/start.ts), on a project root. */
async function startSteps(root: string): Promise<string | null> {
  const dataDir = path.join(root, "data");
  const databaseUrl = `file:${path.join(dataDir, "ttp.db")}`;
  const passwordFile = path.join(dataDir, "initial-admin-password");
  const line = tightenPrivateFiles({ dataDir, databaseUrl, passwordFile }, root);
  await migrateDatabase(databaseUrl);
  await seedFirstAdmin(databaseUrl, { passwordFile, out: new PassThrough() });
  return line;
}

describe("private files of an install", () => {
  it("a fresh start creates data/ 0700, the database, its WAL and SHM files and the password file 0600", async () => {
    const root = tempRoot();
    expect(await startSteps(root)).toBeNull();
    const data = path.join(root, "data");
    expect(mode(data)).toBe(0o700);
    expect(mode(path.join(data, "ttp.db"))).toBe(0o600);
    expect(mode(path.join(data, "initial-admin-password"))).toBe(0o600);
    // WAL and SHM exist while a connection is open (the dashboard's); SQLite gives them the database's mode.
    const db = await openDatabase(`file:${path.join(data, "ttp.db")}`);
    try {
      if (db.dialect !== "sqlite") throw new Error("expected SQLite");
      db.sqlite.prepare("INSERT INTO ttp_auth_log (at, actor, action, username) VALUES ('2026-01-01T00:00:00.000Z', 't', 'user_added', 'x')").run();
      expect(mode(path.join(data, "ttp.db-wal"))).toBe(0o600);
      expect(mode(path.join(data, "ttp.db-shm"))).toBe(0o600);
    } finally {
      await db.close();
    }
  });

  it("an existing install with loose modes is tightened at start, with one log line", async () => {
    const root = tempRoot();
    await startSteps(root);
    const data = path.join(root, "data");
    const db = path.join(data, "ttp.db");
    // What an older release left behind: a 0755 data/, 0644 files, a WAL and SHM of a crashed run.
    writeFileSync(`${db}-wal`, "");
    writeFileSync(`${db}-shm`, "");
    for (const f of [db, `${db}-wal`, `${db}-shm`, path.join(data, "initial-admin-password")]) chmodSync(f, 0o644);
    chmodSync(data, 0o755);
    const line = tightenPrivateFiles({ dataDir: data, databaseUrl: `file:${db}`, passwordFile: path.join(data, "initial-admin-password") }, root);
    expect(line).toBe(
      "tightened file modes (private data must not be readable by others): data/ 0755 → 0700, data/ttp.db 0644 → 0600, " +
        "data/ttp.db-wal 0644 → 0600, data/ttp.db-shm 0644 → 0600, data/initial-admin-password 0644 → 0600",
    );
    expect(line!.split("\n")).toHaveLength(1);
    expect([data, db, `${db}-wal`, `${db}-shm`].map(mode)).toEqual([0o700, 0o600, 0o600, 0o600]);
    expect(tightenPrivateFiles({ dataDir: data, databaseUrl: `file:${db}`, passwordFile: path.join(data, "initial-admin-password") }, root)).toBeNull();
  });

  it("leaves stricter modes, PostgreSQL URLs and missing paths alone", () => {
    const root = tempRoot();
    const data = path.join(root, "data");
    mkdirSync(data, { mode: 0o700 });
    writeFileSync(path.join(data, "ttp.db"), "", { mode: 0o400 });
    expect(tightenPrivateFiles({ dataDir: data, databaseUrl: "file:./data/ttp.db", passwordFile: path.join(data, "none") }, root)).toBeNull();
    expect(mode(path.join(data, "ttp.db"))).toBe(0o400);
    expect(tightenPrivateFiles({ dataDir: path.join(root, "nope"), databaseUrl: "postgres://u@h/db", passwordFile: path.join(data, "none") }, root)).toBeNull();
  });

  it("never follows a symlink at the password path: its target is untouched", () => {
    const root = tempRoot();
    const data = path.join(root, "data");
    mkdirSync(data, { mode: 0o700 });
    const target = path.join(root, "elsewhere.txt");
    writeFileSync(target, "someone else's file\n", { mode: 0o644 });
    const file = path.join(data, "initial-admin-password");
    symlinkSync(target, file);
    expect(tightenPrivateFiles({ dataDir: data, databaseUrl: ":memory:", passwordFile: file }, root)).toBeNull();
    writePrivateFile(file, "s3cret\n");
    expect(readFileSync(target, "utf8")).toBe("someone else's file\n");
    expect(mode(target)).toBe(0o644);
    expect(statSync(file).isFile()).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("s3cret\n");
    expect(mode(file)).toBe(0o600);
  });

  it("a dangling symlink at the password path does not create its target", () => {
    const root = tempRoot();
    const target = path.join(root, "created-through-link");
    const file = path.join(root, "data", "initial-admin-password");
    mkdirSync(path.dirname(file), { mode: 0o700 });
    symlinkSync(target, file);
    writePrivateFile(file, "s3cret\n");
    expect(existsSync(target)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("s3cret\n");
  });
});
