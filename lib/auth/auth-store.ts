import { createHash, randomBytes, randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, like, lt, ne, sql } from "drizzle-orm";
import { drizzle as drizzlePg, type NodePgDatabase } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { openDatabase, pgSchema, sqliteSchema, type OpenedDatabase } from "../../db/open-database";
import { withPgTransaction } from "../../db/pg-transaction";
import { ConflictError, NotFoundError, ValidationError, type ValidationIssue } from "../errors";
import { mapDbError } from "../store/db-driver";
import { burnPasswordVerify, hashPassword, PASSWORD_MAX_LENGTH, passwordProblem, usernameProblem, verifyPasswordHash } from "./password";
import { ROLES, type ApiTokenInfo, type AuthAction, type AuthLogEntry, type AuthStore, type NewUserInput, type Role, type SessionInfo, type User } from "./types";

/** Default session lifetime: 12 hours, extended while in use (see validateSession). */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const API_TOKEN_LABEL_MAX_LENGTH = 100;
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

/** timestamptz comes back as `2026-01-02 03:04:05.678+00` (drizzle string mode); SQLite stores ISO already. */
function toIso(v: string): string {
  const t = Date.parse(v);
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}

function toUser(r: UserRow): User {
  return { id: r.id, username: r.username, role: r.role, createdAt: toIso(r.createdAt), createdBy: r.createdBy };
}

function toTokenInfo(r: { id: string; username: string; label: string; createdAt: string; lastUsedAt: string | null }): ApiTokenInfo {
  return { id: r.id.slice(0, TOKEN_ID_DIGITS), username: r.username, label: r.label, createdAt: toIso(r.createdAt), lastUsedAt: r.lastUsedAt === null ? null : toIso(r.lastUsedAt) };
}

function issue(field: string, message: string, source = "user"): ValidationIssue {
  return { source, path: [field], line: 1, column: 1, message, severity: "error" };
}

function throwIfInvalid(issues: ValidationIssue[]): void {
  if (issues.length > 0) throw new ValidationError(issues, issues.map((i) => i.message).join("; "));
}

/** The driver error code behind drizzle's DrizzleQueryError wrapper, if any. */
function driverCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

const isUniqueViolation = (code: string | undefined): boolean => code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
const isForeignKeyViolation = (code: string | undefined): boolean => code === "SQLITE_CONSTRAINT_FOREIGNKEY" || code === "23503";

const su = sqliteSchema.ttpUser;
const ss = sqliteSchema.ttpSession;
const st = sqliteSchema.ttpApiToken;
const pu = pgSchema.ttpUser;
const ps = pgSchema.ttpSession;
const pt = pgSchema.ttpApiToken;
const sal = sqliteSchema.ttpAuthLog;
const pal = pgSchema.ttpAuthLog;

type PgTx = NodePgDatabase<typeof pgSchema>;

/** A transaction on a guarded client (see db/pg-transaction.ts). */
function pgTx<T>(pool: pg.Pool, fn: (tx: PgTx) => Promise<T>): Promise<T> {
  return withPgTransaction(pool, "BEGIN", (client) => fn(drizzlePg(client, { schema: pgSchema })));
}

const actorOf = (actor: string): string => (typeof actor === "string" && actor.trim() !== "" ? actor.trim().slice(0, 200) : "unknown");

const sqliteUserColumns = { id: su.id, username: su.username, role: su.role, createdAt: su.createdAt, createdBy: su.createdBy };
const pgUserColumns = { id: pu.id, username: pu.username, role: pu.role, createdAt: pu.createdAt, createdBy: pu.createdBy };

class DatabaseAuthStore implements AuthStore {
  private closed = false;

  constructor(
    private readonly o: OpenedDatabase,
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
    await this.run("create user", async (o) => {
      if (o.dialect === "sqlite") {
        o.sqlite.transaction(() => {
          o.db.insert(su).values(row).run();
          o.db.insert(sal).values(log).run();
        }).immediate();
      } else {
        await pgTx(o.pool, async (tx) => {
          await tx.insert(pu).values(row);
          await tx.insert(pal).values(log);
        });
      }
    }, (code) => (isUniqueViolation(code) ? new ConflictError(`username "${input.username}" is already taken`, null) : null));
    return toUser(row);
  }

  async findUserByName(username: string): Promise<User | null> {
    if (typeof username !== "string") return null;
    const row = await this.run("find user", async (o) =>
      o.dialect === "sqlite"
        ? o.db.select(sqliteUserColumns).from(su).where(eq(su.username, username)).get()
        : (await o.db.select(pgUserColumns).from(pu).where(eq(pu.username, username)))[0],
    );
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.run("list users", async (o) =>
      o.dialect === "sqlite"
        ? o.db.select(sqliteUserColumns).from(su).orderBy(asc(su.username)).all()
        : await o.db.select(pgUserColumns).from(pu).orderBy(asc(pu.username)),
    );
    return rows.map(toUser);
  }

  async countUsers(): Promise<number> {
    return this.run("count users", async (o) => {
      if (o.dialect === "sqlite") return Number(o.db.select({ n: count() }).from(su).get()?.n ?? 0);
      const [row] = await o.db.select({ n: count() }).from(pu);
      return Number(row?.n ?? 0);
    });
  }

  async verifyPassword(username: string, password: string): Promise<User | null> {
    // No stored password is longer than the policy allows (256 code points ≤ 512 UTF-16 units).
    if (typeof password !== "string" || password.length > PASSWORD_MAX_LENGTH * 2) {
      await burnPasswordVerify("");
      return null;
    }
    const row =
      typeof username !== "string"
        ? undefined
        : await this.run("verify password", async (o) =>
            o.dialect === "sqlite"
              ? o.db.select({ ...sqliteUserColumns, passwordHash: su.passwordHash }).from(su).where(eq(su.username, username)).get()
              : (await o.db.select({ ...pgUserColumns, passwordHash: pu.passwordHash }).from(pu).where(eq(pu.username, username)))[0],
          );
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
    await this.run("create session", async (o) => {
      // Sessions a user abandoned are swept when they log in again (user_id is indexed).
      if (o.dialect === "sqlite") {
        o.db.delete(ss).where(and(eq(ss.userId, userId), lt(ss.expiresAt, now))).run();
        o.db.insert(ss).values({ id, userId, createdAt: now, expiresAt }).run();
      } else {
        await o.db.delete(ps).where(and(eq(ps.userId, userId), lt(ps.expiresAt, now)));
        await o.db.insert(ps).values({ id, userId, createdAt: now, expiresAt });
      }
    }, (code) => (isForeignKeyViolation(code) ? new NotFoundError(`user ${userId} not found`) : null));
    return { token, expiresAt };
  }

  async validateSession(token: string, options: { renew?: boolean } = {}): Promise<SessionInfo | null> {
    if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) return null;
    const id = tokenId(token);
    const row = await this.run("validate session", async (o) =>
      o.dialect === "sqlite"
        ? o.db.select({ user: sqliteUserColumns, expiresAt: ss.expiresAt }).from(ss).innerJoin(su, eq(ss.userId, su.id)).where(eq(ss.id, id)).get()
        : (await o.db.select({ user: pgUserColumns, expiresAt: ps.expiresAt }).from(ps).innerJoin(pu, eq(ps.userId, pu.id)).where(eq(ps.id, id)))[0],
    );
    if (!row) return null;
    const nowMs = this.clock();
    const expiresMs = Date.parse(row.expiresAt);
    if (!(expiresMs > nowMs)) {
      await this.deleteSessionById(id);
      return null;
    }
    if (options.renew === false || expiresMs - nowMs >= this.ttlMs / 2) return { user: toUser(row.user), expiresAt: toIso(row.expiresAt), renewed: false };
    const expiresAt = new Date(nowMs + this.ttlMs).toISOString();
    const updated = await this.run("renew session", async (o) => {
      if (o.dialect === "sqlite") return o.db.update(ss).set({ expiresAt }).where(eq(ss.id, id)).run().changes;
      return (await o.db.update(ps).set({ expiresAt }).where(eq(ps.id, id))).rowCount ?? 0;
    });
    // Deleted (logged out) between the read and the renewal: the session is gone.
    if (updated === 0) return null;
    return { user: toUser(row.user), expiresAt, renewed: true };
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
    const row = { id, userId, label: trimmed, createdAt: new Date(this.clock()).toISOString(), lastUsedAt: null };
    const notFound = (): NotFoundError => new NotFoundError(`user ${userId} not found`);
    const detail = `token ${id.slice(0, TOKEN_ID_DIGITS)} "${trimmed}"`;
    await this.run("create API token", async (o) => {
      if (o.dialect === "sqlite") {
        o.sqlite.transaction(() => {
          const owner = o.db.select({ username: su.username }).from(su).where(eq(su.id, userId)).get();
          if (!owner) throw notFound();
          o.db.insert(st).values(row).run();
          o.db.insert(sal).values(this.logRow(actor, "token_created", owner.username, detail)).run();
        }).immediate();
      } else {
        await pgTx(o.pool, async (tx) => {
          const [owner] = await tx.select({ username: pu.username }).from(pu).where(eq(pu.id, userId));
          if (!owner) throw notFound();
          await tx.insert(pt).values(row);
          await tx.insert(pal).values(this.logRow(actor, "token_created", owner.username, detail));
        });
      }
    }, (code) => (isForeignKeyViolation(code) ? notFound() : null));
    return { token };
  }

  async validateApiToken(token: string): Promise<User | null> {
    if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) return null;
    const id = tokenId(token);
    const row = await this.run("validate API token", async (o) =>
      o.dialect === "sqlite"
        ? o.db.select({ user: sqliteUserColumns, lastUsedAt: st.lastUsedAt }).from(st).innerJoin(su, eq(st.userId, su.id)).where(eq(st.id, id)).get()
        : (await o.db.select({ user: pgUserColumns, lastUsedAt: pt.lastUsedAt }).from(pt).innerJoin(pu, eq(pt.userId, pu.id)).where(eq(pt.id, id)))[0],
    );
    if (!row) return null;
    const nowMs = this.clock();
    if (row.lastUsedAt === null || nowMs - Date.parse(row.lastUsedAt) >= API_TOKEN_TOUCH_INTERVAL_MS) {
      const lastUsedAt = new Date(nowMs).toISOString();
      await this.run("touch API token", async (o) => {
        if (o.dialect === "sqlite") o.db.update(st).set({ lastUsedAt }).where(eq(st.id, id)).run();
        else await o.db.update(pt).set({ lastUsedAt }).where(eq(pt.id, id));
      });
    }
    return toUser(row.user);
  }

  async setPassword(username: string, password: string, actor: string): Promise<User> {
    const problem = passwordProblem(password);
    if (problem) throwIfInvalid([issue("password", problem)]);
    const passwordHash = await hashPassword(password);
    const log = this.logRow(actor, "password_set", username, "every session ended");
    const row = await this.run("set password", async (o): Promise<UserRow | undefined> => {
      if (o.dialect === "sqlite") {
        return o.sqlite
          .transaction((): UserRow | undefined => {
            const user = o.db.update(su).set({ passwordHash }).where(eq(su.username, username)).returning(sqliteUserColumns).get();
            if (!user) return undefined;
            o.db.delete(ss).where(eq(ss.userId, user.id)).run();
            o.db.insert(sal).values(log).run();
            return user;
          })
          .immediate();
      }
      return pgTx(o.pool, async (tx) => {
        const [user] = await tx.update(pu).set({ passwordHash }).where(eq(pu.username, username)).returning(pgUserColumns);
        if (!user) return undefined;
        await tx.delete(ps).where(eq(ps.userId, user.id));
        await tx.insert(pal).values(log);
        return user;
      });
    });
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
    await this.run("revoke API token", async (o) => {
      if (o.dialect === "sqlite") {
        o.sqlite.transaction(() => {
          if (o.db.delete(st).where(eq(st.id, target.fullId)).run().changes > 0) o.db.insert(sal).values(log).run();
        }).immediate();
      } else {
        await pgTx(o.pool, async (tx) => {
          const gone = await tx.delete(pt).where(eq(pt.id, target.fullId));
          if ((gone.rowCount ?? 0) > 0) await tx.insert(pal).values(log);
        });
      }
    });
    const { fullId: _full, ...info } = target;
    return info;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.o.close();
  }

  async listAuthLog(options: { limit?: number; before?: number; username?: string } = {}): Promise<AuthLogEntry[]> {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), 1000);
    const rows = await this.run("list the account log", async (o) => {
      if (o.dialect === "sqlite") {
        const where = and(options.before !== undefined ? lt(sal.seq, options.before) : undefined, options.username !== undefined ? eq(sal.username, options.username) : undefined);
        return o.db.select().from(sal).where(where).orderBy(desc(sal.seq)).limit(limit).all();
      }
      const where = and(options.before !== undefined ? lt(pal.seq, options.before) : undefined, options.username !== undefined ? eq(pal.username, options.username) : undefined);
      return o.db.select().from(pal).where(where).orderBy(desc(pal.seq)).limit(limit);
    });
    return rows.map((r) => ({ seq: Number(r.seq), at: toIso(r.at), actor: r.actor, action: r.action, username: r.username, detail: r.detail }));
  }

  private logRow(actor: string, action: AuthAction, username: string, detail: string | null): { at: string; actor: string; action: AuthAction; username: string; detail: string | null } {
    return { at: new Date(this.clock()).toISOString(), actor: actorOf(actor), action, username, detail };
  }

  private changeLog(actor: string, from: Role, update: { role: Role } | null, username: string): ReturnType<DatabaseAuthStore["logRow"]> {
    return update ? this.logRow(actor, "role_changed", username, `${from} → ${update.role}`) : this.logRow(actor, "user_removed", username, `was ${from}; sessions and API tokens removed`);
  }

  /** API tokens with their owner's name, by user then creation time; only ids starting with `idPrefix` (validated hex) when given. */
  private tokenRows(idPrefix: string | null): Promise<{ id: string; username: string; label: string; createdAt: string; lastUsedAt: string | null }[]> {
    return this.run("list API tokens", async (o) => {
      if (o.dialect === "sqlite") {
        return o.db
          .select({ id: st.id, username: su.username, label: st.label, createdAt: st.createdAt, lastUsedAt: st.lastUsedAt })
          .from(st)
          .innerJoin(su, eq(st.userId, su.id))
          .where(idPrefix === null ? undefined : like(st.id, `${idPrefix}%`))
          .orderBy(asc(su.username), asc(st.createdAt))
          .all();
      }
      return o.db
        .select({ id: pt.id, username: pu.username, label: pt.label, createdAt: pt.createdAt, lastUsedAt: pt.lastUsedAt })
        .from(pt)
        .innerJoin(pu, eq(pt.userId, pu.id))
        .where(idPrefix === null ? undefined : like(pt.id, `${idPrefix}%`))
        .orderBy(asc(pu.username), asc(pt.createdAt));
    });
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
    const row = await this.run(what, async (o): Promise<UserRow | undefined> => {
      if (o.dialect === "sqlite") {
        const db = o.db;
        return o.sqlite
          .transaction((): UserRow | undefined => {
            const current = db.select({ role: su.role }).from(su).where(eq(su.username, username)).get();
            if (!current) return undefined;
            if (current.role === "admin" && !keepsAdmin) {
              const others = db.select({ n: count() }).from(su).where(and(eq(su.role, "admin"), ne(su.username, username))).get();
              if (Number(others?.n ?? 0) === 0) throw lastAdmin();
            }
            const written = update
              ? db.update(su).set(update).where(eq(su.username, username)).returning(sqliteUserColumns).get()
              : db.delete(su).where(eq(su.username, username)).returning(sqliteUserColumns).get();
            if (written) db.insert(sal).values(this.changeLog(actor, current.role, update, username)).run();
            return written;
          })
          .immediate();
      }
      return pgTx(o.pool, async (tx) => {
        await tx.execute(sql`LOCK TABLE ttp_user IN SHARE ROW EXCLUSIVE MODE`);
        const [current] = await tx.select({ role: pu.role }).from(pu).where(eq(pu.username, username));
        if (!current) return undefined;
        if (current.role === "admin" && !keepsAdmin) {
          const [others] = await tx.select({ n: count() }).from(pu).where(and(eq(pu.role, "admin"), ne(pu.username, username)));
          if (Number(others?.n ?? 0) === 0) throw lastAdmin();
        }
        const [written] = update
          ? await tx.update(pu).set(update).where(eq(pu.username, username)).returning(pgUserColumns)
          : await tx.delete(pu).where(eq(pu.username, username)).returning(pgUserColumns);
        if (written) await tx.insert(pal).values(this.changeLog(actor, current.role, update, username));
        return written;
      });
    });
    if (!row) throw new NotFoundError(`unknown user "${username}"`);
    return toUser(row);
  }

  private async deleteSessionById(id: string): Promise<void> {
    await this.run("delete session", async (o) => {
      if (o.dialect === "sqlite") o.db.delete(ss).where(eq(ss.id, id)).run();
      else await o.db.delete(ps).where(eq(ps.id, id));
    });
  }

  /** Runs one database step; constraint violations `mapConstraint` recognises become typed errors, the rest BUSY/INTERNAL. */
  private async run<T>(what: string, fn: (o: OpenedDatabase) => Promise<T>, mapConstraint?: (code: string | undefined) => Error | null): Promise<T> {
    if (this.closed) throw mapDbError(new Error("the auth store is closed"), what);
    try {
      return await fn(this.o);
    } catch (err) {
      throw mapConstraint?.(driverCode(err)) ?? mapDbError(err, what);
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
  const opened = await openDatabase(url);
  return new DatabaseAuthStore(opened, options.clock ?? Date.now, ttl);
}
