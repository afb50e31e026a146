import { createHash, randomBytes, randomUUID } from "node:crypto";
import { parseDatabaseUrl } from "../../db/url";
import { ConflictError, isTtpError, NotFoundError, ValidationError, type ValidationIssue } from "../errors";
import { createStderrLogger, type Logger } from "../logger";
import { mapDbError, openDriver, type DbDriver } from "../store/db-driver";
import { all, first, run, toIso, type Tx } from "../store/db-sql";
import { burnPasswordVerify, hashPassword, PASSWORD_MAX_LENGTH, passwordProblem, usernameProblem, verifyPasswordHash } from "./password";
import { ROLES, type ApiTokenInfo, type AuthAction, type AuthLogEntry, type AuthStore, type NewUserInput, type Role, type SessionInfo, type User } from "./types";

/** Default session lifetime: 12 hours, extended while in use (see validateSession). */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const API_TOKEN_LABEL_MAX_LENGTH = 100;
/** application_name of the auth store's PostgreSQL connections. */
export const PG_AUTH_APP_NAME = "ttp-auth";
/** `last_used_at` of an API token is rewritten at most this often (no write per request). */
const API_TOKEN_TOUCH_INTERVAL_MS = 60_000;
/** 32 random bytes, base64url without padding. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** Listed token ids: this many hex digits of the stored SHA-256. */
const TOKEN_ID_DIGITS = 12;
const TOKEN_ID_PREFIX = /^[0-9a-f]{6,64}$/;

export interface AuthStoreOptions {
  /** Milliseconds since the epoch (tests inject one); default Date.now. */
  clock?: () => number;
  /** Session lifetime; default DEFAULT_SESSION_TTL_MS. */
  sessionTtlMs?: number;
  /** Where PostgreSQL pool warnings go; default JSON lines on stderr. */
  logger?: Logger;
}

interface UserRow {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
  createdBy: string | null;
}

function newToken(): { token: string; id: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, id: tokenId(token) };
}

/** The stored key of a token: its SHA-256 in hex (a database leak reveals no usable token). */
function tokenId(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function toUser(r: UserRow): User {
  return { id: r.id, username: r.username, role: r.role, createdAt: r.createdAt, createdBy: r.createdBy };
}

interface TokenRow {
  id: string;
  username: string;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
}

function toTokenInfo(r: TokenRow): ApiTokenInfo {
  return { id: r.id.slice(0, TOKEN_ID_DIGITS), username: r.username, label: r.label, createdAt: r.createdAt, lastUsedAt: r.lastUsedAt };
}

function issue(field: string, message: string, source = "user"): ValidationIssue {
  return { source, path: [field], line: 1, column: 1, message, severity: "error" };
}

function throwIfInvalid(issues: ValidationIssue[]): void {
  if (issues.length > 0) throw new ValidationError(issues, issues.map((i) => i.message).join("; "));
}

/** The driver error code behind the typed error the driver mapped it to, if any. */
function driverCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && !isTtpError(e)) return code;
  }
  return undefined;
}

const isUniqueViolation = (code: string | undefined): boolean => code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
const isForeignKeyViolation = (code: string | undefined): boolean => code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "23503";

const actorOf = (actor: string): string => (typeof actor === "string" && actor.trim() !== "" ? actor.trim().slice(0, 200) : "unknown");

// Queries are written once for both dialects (see lib/store/db-sql.ts): `?` placeholders,
// snake_case columns mapped here; instants are ISO text in SQLite and timestamptz in PostgreSQL.
const USER_COLUMNS = "u.id, u.username, u.role, u.created_at, u.created_by";
const NO_FEED_LOCK = { feedLock: false } as const;

type Row = Record<string, unknown>;

const userFrom = (r: Row): UserRow => ({
  id: String(r.id),
  username: String(r.username),
  role: r.role as Role,
  createdAt: toIso(r.created_at),
  createdBy: r.created_by === null || r.created_by === undefined ? null : String(r.created_by),
});

const tokenFrom = (r: Row): TokenRow => ({
  id: String(r.id),
  username: String(r.username),
  label: String(r.label),
  createdAt: toIso(r.created_at),
  lastUsedAt: r.last_used_at === null || r.last_used_at === undefined ? null : toIso(r.last_used_at),
});

interface LogRow {
  at: string;
  actor: string;
  action: AuthAction;
  username: string;
  detail: string | null;
}

function* insertLog(log: LogRow): Tx<void> {
  yield* run("INSERT INTO ttp_auth_log (at, actor, action, username, detail) VALUES (?, ?, ?, ?, ?)", [log.at, log.actor, log.action, log.username, log.detail]);
}

function* userByName(username: string, withHash: boolean): Tx<(UserRow & { passwordHash: string }) | undefined> {
  const r = yield* first(`SELECT ${USER_COLUMNS}${withHash ? ", u.password_hash" : ""} FROM ttp_user u WHERE u.username = ?`, [username]);
  return r ? { ...userFrom(r), passwordHash: String(r.password_hash ?? "") } : undefined;
}

class DatabaseAuthStore implements AuthStore {
  private closed = false;

  constructor(
    private readonly driver: DbDriver,
    private readonly clock: () => number,
    private readonly ttlMs: number,
  ) {}

  async createUser(input: NewUserInput, actor: string): Promise<User> {
    const issues: ValidationIssue[] = [];
    const nameProblem = usernameProblem(input?.username);
    if (nameProblem) issues.push(issue("username", nameProblem));
    const pwProblem = passwordProblem(input?.password);
    if (pwProblem) issues.push(issue("password", pwProblem));
    if (!ROLES.includes(input?.role)) issues.push(issue("role", `role must be one of: ${ROLES.join(", ")}`));
    throwIfInvalid(issues);
    const row: UserRow & { passwordHash: string } = {
      id: randomUUID(),
      username: input.username,
      passwordHash: await hashPassword(input.password),
      role: input.role,
      createdAt: new Date(this.clock()).toISOString(),
      createdBy: typeof actor === "string" && actor.trim() !== "" ? actor.trim() : null,
    };
    const log = this.logRow(actor, "user_added", row.username, `role ${row.role}`);
    await this.run(
      "create user",
      (d) =>
        d.write(function* () {
          yield* run("INSERT INTO ttp_user (id, username, password_hash, role, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)", [
            row.id,
            row.username,
            row.passwordHash,
            row.role,
            row.createdAt,
            row.createdBy,
          ]);
          yield* insertLog(log);
        }, NO_FEED_LOCK),
      (code) => (isUniqueViolation(code) ? new ConflictError(`username "${input.username}" is already taken`, null) : null),
    );
    return toUser(row);
  }

  async findUserByName(username: string): Promise<User | null> {
    if (typeof username !== "string") return null;
    const row = await this.run("find user", (d) => d.read(() => userByName(username, false)));
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.run("list users", (d) => d.read(() => all(`SELECT ${USER_COLUMNS} FROM ttp_user u ORDER BY u.username`)));
    return rows.map((r) => toUser(userFrom(r)));
  }

  async countUsers(): Promise<number> {
    const row = await this.run("count users", (d) => d.read(() => first<{ n: number | string }>("SELECT count(*) AS n FROM ttp_user")));
    return Number(row?.n ?? 0);
  }

  async verifyPassword(username: string, password: string): Promise<User | null> {
    // No stored password is longer than the policy allows (256 code points ≤ 512 UTF-16 units).
    if (typeof password !== "string" || password.length > PASSWORD_MAX_LENGTH * 2) {
      await burnPasswordVerify("");
      return null;
    }
    const row = typeof username !== "string" ? undefined : await this.run("verify password", (d) => d.read(() => userByName(username, true)));
    if (!row) {
      await burnPasswordVerify(password);
      return null;
    }
    return (await verifyPasswordHash(row.passwordHash, password)) ? toUser(row) : null;
  }

  async createSession(userId: string): Promise<{ token: string; expiresAt: string }> {
    const { token, id } = newToken();
    const nowMs = this.clock();
    const now = new Date(nowMs).toISOString();
    const expiresAt = new Date(nowMs + this.ttlMs).toISOString();
    await this.run(
      "create session",
      (d) =>
        d.write(function* () {
          // Sessions a user abandoned are swept when they log in again (user_id is indexed).
          yield* run("DELETE FROM ttp_session WHERE user_id = ? AND expires_at < ?", [userId, now]);
          yield* run("INSERT INTO ttp_session (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)", [id, userId, now, expiresAt]);
        }, NO_FEED_LOCK),
      (code) => (isForeignKeyViolation(code) ? new NotFoundError(`user ${userId} not found`) : null),
    );
    return { token, expiresAt };
  }

  async validateSession(token: string, options: { renew?: boolean } = {}): Promise<SessionInfo | null> {
    if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) return null;
    const id = tokenId(token);
    const row = await this.run("validate session", (d) =>
      d.read(() => first(`SELECT ${USER_COLUMNS}, s.expires_at AS session_expires_at FROM ttp_session s INNER JOIN ttp_user u ON s.user_id = u.id WHERE s.id = ?`, [id])),
    );
    if (!row) return null;
    const user = userFrom(row);
    const storedExpiry = toIso(row.session_expires_at);
    const nowMs = this.clock();
    const expiresMs = Date.parse(storedExpiry);
    if (!(expiresMs > nowMs)) {
      await this.deleteSessionById(id);
      return null;
    }
    if (options.renew === false || expiresMs - nowMs >= this.ttlMs / 2) return { user: toUser(user), expiresAt: storedExpiry, renewed: false };
    const expiresAt = new Date(nowMs + this.ttlMs).toISOString();
    const renewed = await this.run("renew session", (d) =>
      d.write(function* () {
        return (yield* all("UPDATE ttp_session SET expires_at = ? WHERE id = ? RETURNING id", [expiresAt, id])).length;
      }, NO_FEED_LOCK),
    );
    // Deleted (logged out) between the read and the renewal: the session is gone.
    if (renewed === 0) return null;
    return { user: toUser(user), expiresAt, renewed: true };
  }

  async deleteSession(token: string): Promise<void> {
    if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) return;
    await this.deleteSessionById(tokenId(token));
  }

  async createApiToken(userId: string, label: string, actor: string): Promise<{ token: string }> {
    const trimmed = typeof label === "string" ? label.trim() : "";
    if (trimmed === "") throwIfInvalid([issue("label", "label must not be empty", "api token")]);
    if (trimmed.length > API_TOKEN_LABEL_MAX_LENGTH) throwIfInvalid([issue("label", `label must be at most ${API_TOKEN_LABEL_MAX_LENGTH} characters`, "api token")]);
    const { token, id } = newToken();
    const createdAt = new Date(this.clock()).toISOString();
    const notFound = (): NotFoundError => new NotFoundError(`user ${userId} not found`);
    const detail = `token ${id.slice(0, TOKEN_ID_DIGITS)} "${trimmed}"`;
    const log = (username: string): LogRow => this.logRow(actor, "token_created", username, detail);
    await this.run(
      "create API token",
      (d) =>
        d.write(function* () {
          const owner = yield* first<{ username: string }>("SELECT username FROM ttp_user WHERE id = ?", [userId]);
          if (!owner) throw notFound();
          yield* run("INSERT INTO ttp_api_token (id, user_id, label, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)", [id, userId, trimmed, createdAt, null]);
          yield* insertLog(log(owner.username));
        }, NO_FEED_LOCK),
      (code) => (isForeignKeyViolation(code) ? notFound() : null),
    );
    return { token };
  }

  async validateApiToken(token: string): Promise<User | null> {
    if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) return null;
    const id = tokenId(token);
    const row = await this.run("validate API token", (d) =>
      d.read(() => first(`SELECT ${USER_COLUMNS}, t.last_used_at AS token_last_used_at FROM ttp_api_token t INNER JOIN ttp_user u ON t.user_id = u.id WHERE t.id = ?`, [id])),
    );
    if (!row) return null;
    const nowMs = this.clock();
    const lastUsed = row.token_last_used_at;
    if (lastUsed === null || lastUsed === undefined || nowMs - Date.parse(toIso(lastUsed)) >= API_TOKEN_TOUCH_INTERVAL_MS) {
      const lastUsedAt = new Date(nowMs).toISOString();
      await this.run("touch API token", (d) => d.write(() => run("UPDATE ttp_api_token SET last_used_at = ? WHERE id = ?", [lastUsedAt, id]), NO_FEED_LOCK));
    }
    return toUser(userFrom(row));
  }

  async setPassword(username: string, password: string, actor: string): Promise<User> {
    const problem = passwordProblem(password);
    if (problem) throwIfInvalid([issue("password", problem)]);
    const passwordHash = await hashPassword(password);
    const log = this.logRow(actor, "password_set", username, "every session ended");
    const row = await this.run("set password", (d) =>
      d.write(function* (): Tx<UserRow | undefined> {
        const updated = yield* first("UPDATE ttp_user SET password_hash = ? WHERE username = ? RETURNING id, username, role, created_at, created_by", [passwordHash, username]);
        if (!updated) return undefined;
        const user = userFrom(updated);
        yield* run("DELETE FROM ttp_session WHERE user_id = ?", [user.id]);
        yield* insertLog(log);
        return user;
      }, NO_FEED_LOCK),
    );
    if (!row) throw new NotFoundError(`unknown user "${username}"`);
    return toUser(row);
  }

  async setRole(username: string, role: Role, actor: string): Promise<User> {
    if (!ROLES.includes(role)) throwIfInvalid([issue("role", `role must be one of: ${ROLES.join(", ")}`)]);
    return this.changeUser("set role", username, { role }, actor);
  }

  async removeUser(username: string, actor: string): Promise<User> {
    // Sessions and API tokens go with the user (ON DELETE CASCADE).
    return this.changeUser("remove user", username, null, actor);
  }

  async listApiTokens(): Promise<ApiTokenInfo[]> {
    return (await this.tokenRows(null)).map(toTokenInfo);
  }

  async revokeApiToken(idPrefix: string, actor: string): Promise<ApiTokenInfo> {
    const prefix = typeof idPrefix === "string" ? idPrefix.trim().toLowerCase() : "";
    if (!TOKEN_ID_PREFIX.test(prefix)) throwIfInvalid([issue("id", "a token id is 6 to 64 hex digits, as `ttp token list` shows it", "api token")]);
    const matches = (await this.tokenRows(prefix)).map((r) => ({ ...toTokenInfo(r), fullId: r.id }));
    if (matches.length === 0) throw new NotFoundError(`no API token with id ${prefix}`);
    if (matches.length > 1) throw new ConflictError(`${matches.length} API tokens have ids starting with ${prefix}: give more digits`, null);
    const target = matches[0] as ApiTokenInfo & { fullId: string };
    const log = this.logRow(actor, "token_revoked", target.username, `token ${target.id} "${target.label}"`);
    await this.run("revoke API token", (d) =>
      d.write(function* () {
        const gone = yield* all("DELETE FROM ttp_api_token WHERE id = ? RETURNING id", [target.fullId]);
        if (gone.length > 0) yield* insertLog(log);
      }, NO_FEED_LOCK),
    );
    const { fullId: _full, ...info } = target;
    return info;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.driver.close();
  }

  async listAuthLog(options: { limit?: number; before?: number; username?: string } = {}): Promise<AuthLogEntry[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), 1000);
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.before !== undefined) {
      where.push("seq < ?");
      params.push(options.before);
    }
    if (options.username !== undefined) {
      where.push("username = ?");
      params.push(options.username);
    }
    const text = `SELECT seq, at, actor, action, username, detail FROM ttp_auth_log${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`;
    const rows = await this.run("list the account log", (d) => d.read(() => all(text, [...params, limit])));
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: toIso(r.at),
      actor: String(r.actor),
      action: r.action as AuthAction,
      username: String(r.username),
      detail: r.detail === null || r.detail === undefined ? null : String(r.detail),
    }));
  }

  private logRow(actor: string, action: AuthAction, username: string, detail: string | null): LogRow {
    return { at: new Date(this.clock()).toISOString(), actor: actorOf(actor), action, username, detail };
  }

  private changeLog(actor: string, from: Role, update: { role: Role } | null, username: string): LogRow {
    return update ? this.logRow(actor, "role_changed", username, `${from} → ${update.role}`) : this.logRow(actor, "user_removed", username, `was ${from}; sessions and API tokens removed`);
  }

  /** API tokens with their owner's name, by user then creation time; only ids starting with `idPrefix` (validated hex) when given. */
  private async tokenRows(idPrefix: string | null): Promise<TokenRow[]> {
    const text =
      "SELECT t.id, u.username, t.label, t.created_at, t.last_used_at FROM ttp_api_token t INNER JOIN ttp_user u ON t.user_id = u.id" +
      (idPrefix === null ? "" : " WHERE t.id LIKE ?") +
      " ORDER BY u.username, t.created_at";
    const rows = await this.run("list API tokens", (d) => d.read(() => all(text, idPrefix === null ? [] : [`${idPrefix}%`])));
    return rows.map(tokenFrom);
  }

  /**
   * Sets the role of one user (`update`) or deletes it (null), unless that would leave no admin:
   * the check and the write are one transaction — SQLite: BEGIN IMMEDIATE (one writer at a time);
   * PostgreSQL: the user table locked against other writers, so two admins removing each other
   * cannot both succeed.
   */
  private async changeUser(what: string, username: string, update: { role: Role } | null, actor: string): Promise<User> {
    const keepsAdmin = update?.role === "admin";
    const lastAdmin = (): ConflictError =>
      new ConflictError(`"${username}" is the only admin: add another admin first (ttp user add <name> --role admin --password-stdin)`, null);
    const changeLog = (from: Role): LogRow => this.changeLog(actor, from, update, username);
    const row = await this.run(what, (d) =>
      d.write(function* (): Tx<UserRow | undefined> {
        yield { sql: "LOCK TABLE ttp_user IN SHARE ROW EXCLUSIVE MODE", params: [], pgOnly: true };
        const current = yield* first<{ role: Role }>("SELECT role FROM ttp_user WHERE username = ?", [username]);
        if (!current) return undefined;
        if (current.role === "admin" && !keepsAdmin) {
          const others = yield* first<{ n: number | string }>("SELECT count(*) AS n FROM ttp_user WHERE role = ? AND username <> ?", ["admin", username]);
          if (Number(others?.n ?? 0) === 0) throw lastAdmin();
        }
        const written = update
          ? yield* first("UPDATE ttp_user SET role = ? WHERE username = ? RETURNING id, username, role, created_at, created_by", [update.role, username])
          : yield* first("DELETE FROM ttp_user WHERE username = ? RETURNING id, username, role, created_at, created_by", [username]);
        if (!written) return undefined;
        yield* insertLog(changeLog(current.role));
        return userFrom(written);
      }, NO_FEED_LOCK),
    );
    if (!row) throw new NotFoundError(`unknown user "${username}"`);
    return toUser(row);
  }

  private async deleteSessionById(id: string): Promise<void> {
    await this.run("delete session", (d) => d.write(() => run("DELETE FROM ttp_session WHERE id = ?", [id]), NO_FEED_LOCK));
  }

  /** Runs one database step; constraint violations `mapConstraint` recognises become typed errors, the rest BUSY/INTERNAL. */
  private async run<T>(what: string, fn: (d: DbDriver) => Promise<T>, mapConstraint?: (code: string | undefined) => Error | null): Promise<T> {
    if (this.closed) throw mapDbError(new Error("the auth store is closed"), what);
    try {
      return await fn(this.driver);
    } catch (err) {
      const mapped = mapConstraint?.(driverCode(err));
      if (mapped) throw mapped;
      // The driver maps driver errors under its own label; name the step instead.
      const cause = isTtpError(err) ? (err as { cause?: unknown }).cause : err;
      throw cause !== undefined && !isTtpError(cause) ? mapDbError(cause, what) : mapDbError(err, what);
    }
  }
}

/**
 * Opens (and migrates) the database a URL names and returns the users/sessions/API-token store
 * on it. Throws when the database cannot be opened; close() releases it.
 */
export async function openAuthStore(url: string, options: AuthStoreOptions = {}): Promise<AuthStore> {
  const ttl = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError(`sessionTtlMs must be a positive number of milliseconds (got ${ttl})`);
  const driver = openDriver(parseDatabaseUrl(url), { logger: options.logger ?? createStderrLogger("info", "ttp-auth"), appName: PG_AUTH_APP_NAME });
  try {
    await driver.init();
  } catch (err) {
    await driver.close();
    throw err;
  }
  return new DatabaseAuthStore(driver, options.clock ?? Date.now, ttl);
}
