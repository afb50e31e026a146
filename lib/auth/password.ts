import { hash, verify, type Options } from "@node-rs/argon2";

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
export const USERNAME_MAX_LENGTH = 64;
export const USERNAME_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;

// OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1. `algorithm: 2` is
// Algorithm.Argon2id (an ambient const enum, unusable under isolatedModules).
const ARGON2_OPTIONS: Options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * Verified against when the user does not exist, so an unknown name costs one real argon2 verify
 * with the same parameters. The hash of a random, discarded 32-byte password.
 */
export const DUMMY_PASSWORD_HASH = "$argon2id$v=19$m=19456,t=2,p=1$xkCELQf/o7pSQ6gwVe5aJQ$aNyrUK1yJJXgpd1DMf8TBEOZUVAnHhrHA3feFdfiLFY";

/** The problem with a username, or null when it is acceptable. */
export function usernameProblem(username: unknown): string | null {
  if (typeof username !== "string" || username.length === 0) return "username must not be empty";
  if (username.length > USERNAME_MAX_LENGTH) return `username must be at most ${USERNAME_MAX_LENGTH} characters`;
  if (!USERNAME_PATTERN.test(username)) return "username may contain only letters, digits and _ . @ -";
  return null;
}

/** The problem with a new password, or null when it satisfies the policy (length counted in code points). */
export function passwordProblem(password: unknown): string | null {
  if (typeof password !== "string") return "password must be a string";
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  return null;
}

/** An argon2id PHC string for the password (random salt; does not check the policy). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/** Whether the password matches the PHC string; throws for a malformed hash (corrupt data, not a wrong password). */
export function verifyPasswordHash(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password);
}

/** Spends one argon2 verify on nothing: the unknown-user path of a login takes as long as a wrong password. */
export async function burnPasswordVerify(password: string): Promise<void> {
  await verifyPasswordHash(DUMMY_PASSWORD_HASH, password);
}
