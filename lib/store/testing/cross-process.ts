// Test-side helpers of the cross-process tests: real child processes (the proc scripts in
// ./procs and the ttp CLI), one database per backend, and raw reads of the three tables that do
// not go through the store under test.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { createTestPgDatabase, type TestPgDatabase } from "../../../db/testing/pg";
import { parseDatabaseUrl } from "../../../db/url";
import type { RuleState } from "../../state/semantics";
import { killAllProcesses, LineProcess, ROOT, TSX_LOADER, TTP_SOURCE, type SpawnOptions } from "../../../testing/child-process";

export { ROOT, TSX_LOADER, waitUntil, type ExitStatus } from "../../../testing/child-process";
export const TTP_CLI = TTP_SOURCE;
const PROCS = path.join(ROOT, "lib/store/testing/procs");

export type ProcName = "follower" | "tail" | "writer" | "states" | "close-probe";

/** A JSON object printed on one stdout line by a child. */
export type Message = Record<string, unknown> & { type?: string };

/** A TypeScript child process (run through tsx) whose JSON stdout lines are parsed into `messages`. */
export class ChildProc extends LineProcess {
  readonly messages: Message[] = [];

  constructor(label: string, script: string, args: string[], options: SpawnOptions = {}) {
    super(label, ["--import", TSX_LOADER, script, ...args], options);
  }

  get lines(): string[] {
    return this.stdoutLines;
  }

  /** Messages of one type (e.g. "change", "write"). */
  ofType(type: string): Message[] {
    return this.messages.filter((m) => m.type === type);
  }

  /** Polls `check` until it holds; fails with the child's output on timeout or an early exit. */
  waitUntil<T>(check: () => T | undefined | false, what: string, timeoutMs?: number): Promise<T> {
    return this.waitFor(check, what, timeoutMs);
  }

  waitForMessage(match: (m: Message) => boolean, what: string, timeoutMs?: number): Promise<Message> {
    return this.waitFor(() => this.messages.find(match), what, timeoutMs);
  }

  protected override onStdoutLine(line: string): void {
    super.onStdoutLine(line);
    if (!line.startsWith("{")) return;
    try {
      this.messages.push(JSON.parse(line) as Message);
    } catch {
      this.messages.push({ type: "unparsable", line });
    }
  }
}

/** Spawns one of the scripts in lib/store/testing/procs (inherits this process's environment). */
export function spawnProc(name: ProcName, args: string[], label: string = name): ChildProc {
  return new ChildProc(label, path.join(PROCS, `${name}.mts`), args);
}

/** Spawns the real `ttp` CLI as a long-running process (e.g. `tail`); `env` is the complete environment. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, label = `ttp ${args[0] ?? ""}`): ChildProc {
  return new ChildProc(label, TTP_CLI, args, { env });
}

/** SIGKILLs every child still running (after each test) and waits for them to go. */
export const killAllChildren = killAllProcesses;

// ---------------------------------------------------------------- backends

/** A database backend the cross-process scenarios run against, with a fresh database per test. */
export interface CrossBackend {
  readonly name: "sqlite-file" | "postgres";
  /** Once per test file. */
  setup(): Promise<void>;
  /** Once per test file: drops/removes what setup made. */
  teardown(): Promise<void>;
  /** URL of an empty database for one test (children of earlier tests must be gone). */
  freshUrl(): Promise<string>;
}

function sqliteFileBackend(): CrossBackend {
  let dir: string | null = null;
  let n = 0;
  return {
    name: "sqlite-file",
    async setup() {
      dir = await mkdtemp(path.join(tmpdir(), "ttp-xproc-"));
    },
    async teardown() {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = null;
    },
    async freshUrl() {
      if (!dir) throw new Error("sqlite-file backend: setup() did not run");
      return `file:${path.join(dir, `ttp-${++n}.db`)}`;
    },
  };
}

/** One PostgreSQL database per test file (createTestPgDatabase), its ttp_* tables truncated per test. */
function postgresBackend(): CrossBackend {
  let db: TestPgDatabase | null = null;
  return {
    name: "postgres",
    async setup() {
      db = await createTestPgDatabase();
    },
    async teardown() {
      const d = db;
      db = null;
      if (d) await d.drop();
    },
    async freshUrl() {
      if (!db) throw new Error("postgres backend: setup() did not run");
      await withPg(db.url, async (c) => {
        const { rows } = await c.query<{ name: string }>(
          "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'ttp\\_%'",
        );
        if (rows.length > 0) await c.query(`TRUNCATE ${rows.map((r) => r.name).join(", ")} RESTART IDENTITY CASCADE`);
      });
      return db.url;
    },
  };
}

export function crossBackends(): CrossBackend[] {
  return [sqliteFileBackend(), postgresBackend()];
}

// ---------------------------------------------------------------- raw reads

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface RawChange {
  seq: number;
  ruleId: string;
  kind: "definition" | "deleted" | "state";
  actor: string;
  at: string;
  reason: string | null;
  autoRevert: boolean;
  before: unknown;
  after: unknown;
}

export interface RawState {
  ruleId: string;
  state: RuleState;
  revision: number;
}

export interface RawRule {
  ruleId: string;
  revision: number;
  yaml: string;
}

export interface RawTables {
  changes: RawChange[];
  states: RawState[];
  rules: RawRule[];
}

type Row = Record<string, unknown>;

// Kept apart from db-sql's toIso on purpose: the raw reads are the oracle the store is checked against.
function isoOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : String(v);
}

function parseJson(v: unknown): unknown {
  return v === null || v === undefined ? null : JSON.parse(String(v));
}

function normalise(changes: Row[], states: Row[], rules: Row[]): RawTables {
  return {
    changes: changes.map((r) => ({
      seq: Number(r.seq),
      ruleId: String(r.rule_id),
      kind: r.kind as RawChange["kind"],
      actor: String(r.actor),
      at: isoOrNull(r.at) ?? "",
      reason: (r.reason as string | null) ?? null,
      autoRevert: Boolean(r.auto_revert),
      before: parseJson(r.before),
      after: parseJson(r.after),
    })),
    states: states.map((r) => ({
      ruleId: String(r.rule_id),
      revision: Number(r.revision),
      state: {
        state: r.state as RuleState["state"],
        confidence_max: r.confidence_max === null ? null : Number(r.confidence_max),
        expires_at: isoOrNull(r.expires_at),
        reason: (r.reason as string | null) ?? null,
        set_by: (r.set_by as string | null) ?? null,
        set_at: isoOrNull(r.set_at),
      },
    })),
    rules: rules.map((r) => ({ ruleId: String(r.rule_id), revision: Number(r.revision), yaml: String(r.yaml_content) })),
  };
}

const RAW_QUERIES = [
  "SELECT * FROM ttp_change ORDER BY seq",
  "SELECT * FROM ttp_rule_state ORDER BY rule_id",
  "SELECT rule_id, revision, yaml_content FROM ttp_rule ORDER BY rule_id",
] as const;

/** The three tables read directly (its own connection, one snapshot), bypassing the store. */
export async function readRaw(url: string): Promise<RawTables> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === "sqlite") {
    if (target.memory) throw new Error("readRaw needs a database file");
    const db = new Database(target.path, { fileMustExist: true });
    try {
      const [changes, states, rules] = db.transaction(() => RAW_QUERIES.map((q) => db.prepare(q).all() as Row[]))();
      return normalise(changes ?? [], states ?? [], rules ?? []);
    } finally {
      db.close();
    }
  }
  return withPg(target.connectionString, async (c) => {
    await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      const out: Row[][] = [];
      for (const q of RAW_QUERIES) out.push((await c.query(q)).rows as Row[]);
      return normalise(out[0] ?? [], out[1] ?? [], out[2] ?? []);
    } finally {
      await c.query("COMMIT");
    }
  });
}

/** `PRAGMA integrity_check` of an SQLite file on a fresh connection ("ok" when sound). */
export function sqliteIntegrity(url: string): string {
  const target = parseDatabaseUrl(url);
  if (target.dialect !== "sqlite" || target.memory) throw new Error("sqliteIntegrity needs an SQLite file URL");
  const db = new Database(target.path, { fileMustExist: true });
  try {
    const rows = db.pragma("integrity_check") as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
  }
}
