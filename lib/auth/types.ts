/** Dashboard roles: `viewer` reads, `admin` also changes (SPEC §6). */
export const ROLES = ["viewer", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
  createdBy: string | null;
}

export interface SessionInfo {
  user: User;
  /** ISO-8601 instant the session ends unless renewed. */
  expiresAt: string;
  /** True when validation extended the expiry (the caller re-sends the cookie). */
  renewed: boolean;
}

/** An API token as listed: never the token itself (it is not stored), a short id to revoke it by. */
export interface ApiTokenInfo {
  /** The first 12 hex digits of the token's SHA-256 (its stored key); enough to name it, useless to authenticate. */
  id: string;
  username: string;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export const AUTH_ACTIONS = ["user_added", "role_changed", "password_set", "user_removed", "token_created", "token_revoked"] as const;
export type AuthAction = (typeof AUTH_ACTIONS)[number];

/** One account change. `detail` says what changed (a role, a token's label and id), never a secret. */
export interface AuthLogEntry {
  seq: number;
  at: string;
  actor: string;
  action: AuthAction;
  username: string;
  detail: string | null;
}

export interface NewUserInput {
  username: string;
  password: string;
  role: Role;
}

/** Users, sessions and API tokens in the configured database (either dialect). */
export interface AuthStore {
  /** ValidationError (fieldErrors on username/password/role) for bad input; ConflictError when the name is taken. */
  createUser(input: NewUserInput, actor: string): Promise<User>;
  findUserByName(username: string): Promise<User | null>;
  listUsers(): Promise<User[]>;
  countUsers(): Promise<number>;
  /** The user when the password matches; null otherwise (also for unknown users, in about the same time). */
  verifyPassword(username: string, password: string): Promise<User | null>;
  /** A new opaque session token (only its SHA-256 is stored). */
  createSession(userId: string): Promise<{ token: string; expiresAt: string }>;
  /**
   * The session's user, or null when unknown/expired; slides the expiry when past half its life
   * unless `renew` is false (a re-check of a long-lived response is not activity).
   */
  validateSession(token: string, options?: { renew?: boolean }): Promise<SessionInfo | null>;
  deleteSession(token: string): Promise<void>;
  /** A new API token for scripts (`Authorization: Bearer …`), shown once; only its SHA-256 is stored. */
  createApiToken(userId: string, label: string, actor: string): Promise<{ token: string }>;
  validateApiToken(token: string): Promise<User | null>;
  /** Sets a new password and ends every session of the user (API tokens stay). NotFoundError, ValidationError. */
  setPassword(username: string, password: string, actor: string): Promise<User>;
  /** Changes the role, effective on the user's next request. NotFoundError; ConflictError when no admin would be left. */
  setRole(username: string, role: Role, actor: string): Promise<User>;
  /** Deletes the user, its sessions and API tokens. NotFoundError; ConflictError when it is the last admin. */
  removeUser(username: string, actor: string): Promise<User>;
  /** Every API token, by user name then creation time. */
  listApiTokens(): Promise<ApiTokenInfo[]>;
  /** Revokes the one token whose id starts with `idPrefix` (at least 6 hex digits). NotFoundError; ConflictError when ambiguous. */
  revokeApiToken(idPrefix: string, actor: string): Promise<ApiTokenInfo>;
  /** The account log, newest first: who added, changed or removed which user or token (never a secret). */
  listAuthLog(options?: { limit?: number; before?: number; username?: string }): Promise<AuthLogEntry[]>;
  close(): Promise<void>;
}
