import { chmodSync, closeSync, constants, fchmodSync, lstatSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { parseDatabaseUrl } from "../db/url";

/**
 * Writes a secret to `file` as a new 0600 file: whatever is at the path (an older file, a symlink
 * planted there) is unlinked first, never followed, and the file is created with O_EXCL and
 * O_NOFOLLOW, its mode set before anything is written. The parent directory is created 0700 when
 * missing. Throws when the path cannot be replaced (e.g. something re-created it in between).
 */
export function writePrivateFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    // The umask can only narrow 0600; fchmod makes the mode exact whatever it is.
    fchmodSync(fd, 0o600);
    const data = Buffer.from(text, "utf8");
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
  } finally {
    closeSync(fd);
  }
}

export interface PrivateDataPaths {
  /** The install's data/ directory: 0700. */
  dataDir: string;
  /** DATABASE_URL: an SQLite file and its -wal/-shm files are 0600 (PostgreSQL and :memory: have none). */
  databaseUrl: string;
  /** data/initial-admin-password: 0600 (a symlink there is left alone; seeding replaces it). */
  passwordFile: string;
}

/**
 * `npm start`: narrows the modes of an existing install's private files — data/ to 0700, the
 * SQLite database and its WAL/SHM files and the initial password file to 0600 — when they allow
 * group or others anything. Missing paths are skipped. Returns one log line naming each change,
 * or null when nothing was loose. Relative paths resolve against the working directory.
 */
export function tightenPrivateFiles(paths: PrivateDataPaths, root: string = process.cwd()): string | null {
  const wanted: { file: string; mode: number; dir: boolean }[] = [{ file: paths.dataDir, mode: 0o700, dir: true }];
  const target = parseDatabaseUrl(paths.databaseUrl);
  if (target.dialect === "sqlite" && !target.memory) {
    for (const suffix of ["", "-wal", "-shm"]) wanted.push({ file: `${path.resolve(target.path)}${suffix}`, mode: 0o600, dir: false });
  }
  wanted.push({ file: paths.passwordFile, mode: 0o600, dir: false });
  const changes: string[] = [];
  for (const { file, mode, dir } of wanted) {
    const was = modeOf(file, dir);
    if (was === null || (was & ~mode & 0o777) === 0) continue;
    chmodSync(file, mode);
    changes.push(`${displayPath(file, root)}${dir ? "/" : ""} ${octal(was)} → ${octal(mode)}`);
  }
  return changes.length === 0 ? null : `tightened file modes (private data must not be readable by others): ${changes.join(", ")}`;
}

/** The permission bits of a directory (followed if a symlink: the install may keep data/ elsewhere) or a regular file (never followed), else null. */
function modeOf(file: string, dir: boolean): number | null {
  try {
    const st = dir ? statSync(file) : lstatSync(file);
    if (dir ? !st.isDirectory() : !st.isFile()) return null;
    return st.mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

const octal = (mode: number): string => `0${mode.toString(8).padStart(3, "0")}`;

function displayPath(file: string, root: string): string {
  const rel = path.relative(root, path.resolve(file));
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : path.resolve(file);
}
