import { randomBytes } from "node:crypto";
import { openAuthStore, passwordProblem, type AuthStore, type User } from "../lib/auth";
import { ConflictError } from "../lib/errors";
import { ConfigError } from "./config";
import { writePrivateFile } from "./private-files";

export const FIRST_ADMIN_USERNAME = "admin";
export const FIRST_RUN_ACTOR = "system:first-run";

export interface SeedAdminOptions {
  /** TTP_ADMIN_PASSWORD: used instead of a random password (must satisfy the password policy). */
  adminPassword?: string | undefined;
  /** Where a generated password is written (a new mode-0600 file replacing what is there); the parent directory is created 0700. */
  passwordFile: string;
  /** Where the generated password is announced once (default stdout). */
  out?: NodeJS.WritableStream;
}

export type SeedAdminResult = { created: false } | { created: true; user: User; generated: boolean };

/**
 * First run: when the database has no user at all, creates `admin` (role admin) with
 * TTP_ADMIN_PASSWORD, or with a random password that is printed once and written to
 * `passwordFile`. Does nothing when any user exists (also when another process won the race).
 * A TTP_ADMIN_PASSWORD that breaks the policy is a ConfigError (nothing is created).
 */
export async function seedAdmin(store: AuthStore, options: SeedAdminOptions): Promise<SeedAdminResult> {
  if ((await store.countUsers()) > 0) return { created: false };
  const out = options.out ?? process.stdout;
  const given = options.adminPassword;
  if (given !== undefined) {
    const problem = passwordProblem(given);
    if (problem) throw new ConfigError(`TTP_ADMIN_PASSWORD: ${problem} (it becomes the password of the first dashboard user "${FIRST_ADMIN_USERNAME}")`);
  }
  const password = given ?? randomBytes(18).toString("base64url");
  let user: User;
  try {
    user = await store.createUser({ username: FIRST_ADMIN_USERNAME, password, role: "admin" }, FIRST_RUN_ACTOR);
  } catch (err) {
    // Another process starting on the same database created it first.
    if (err instanceof ConflictError) return { created: false };
    throw err;
  }
  if (given !== undefined) {
    out.write(`first run: created dashboard user "${FIRST_ADMIN_USERNAME}" (admin) with the password from TTP_ADMIN_PASSWORD\n`);
    return { created: true, user, generated: false };
  }
  const rule = "=".repeat(72);
  out.write(
    [
      rule,
      "FIRST RUN: created the dashboard administrator (shown only this once)",
      `  username: ${FIRST_ADMIN_USERNAME}`,
      `  password: ${password}`,
      `Also written to ${options.passwordFile} (mode 0600); store it safely and delete that file.`,
      rule,
      "",
    ].join("\n"),
  );
  // A new 0600 file in place of whatever is there (never through a symlink), data/ 0700 if created.
  writePrivateFile(options.passwordFile, `${password}\n`);
  return { created: true, user, generated: true };
}

/** `npm start`: opens the user tables of `databaseUrl` (migrating them), seeds the first admin if none, closes. */
export async function seedFirstAdmin(databaseUrl: string, options: SeedAdminOptions): Promise<SeedAdminResult> {
  const store = await openAuthStore(databaseUrl);
  try {
    return await seedAdmin(store, options);
  } finally {
    await store.close();
  }
}
