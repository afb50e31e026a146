import type { ValidationIssue } from "../errors";
import type { CompiledRule } from "../rules/types";
import type { RuleState } from "../state/semantics";

/** Where a definition last came from: the rules directory, the dashboard editor, a CLI import. */
export type RuleOrigin = "filesystem" | "dashboard" | "import";

export const SYSTEM_EXPIRY_ACTOR = "system:expiry";

/** A stored rule definition with its bookkeeping and its effective state. */
export interface RuleRecord {
  ruleId: string;
  ruleVersion: number;
  name: string;
  yamlText: string;
  revision: number;
  origin: RuleOrigin;
  sourcePath: string | null;
  updatedAt: string;
  updatedBy: string | null;
  /** Effective state at the time of reading (an expired state reads as the default). */
  state: RuleState;
  rule: CompiledRule;
}

interface ChangeMeta {
  /** Position in the change feed: `ttp_change.seq` for the database; a process-local monotonic counter for the filesystem backend (matches its history() entries and loadCompiled().seq). */
  seq: number | null;
  actor: string | null;
  at: string;
}

export type RuleChange =
  | (ChangeMeta & { kind: "definition"; ruleId: string; rule: CompiledRule; revision: number })
  | (ChangeMeta & { kind: "deleted"; ruleId: string })
  | (ChangeMeta & { kind: "state"; ruleId: string; state: RuleState; autoRevert: boolean });

/** Marker telling a subscriber it fell too far behind and must reload before continuing. */
export interface ResyncMarker {
  kind: "resync";
  reason: string;
}

export type ChangeEvent = RuleChange | ResyncMarker;

/** A row of the audit log (`ttp_change`). */
export interface ChangeLogEntry {
  seq: number;
  ruleId: string;
  kind: "definition" | "deleted" | "state";
  actor: string;
  at: string;
  reason: string | null;
  autoRevert: boolean;
  /** Snapshots: for definitions `{yaml, revision, rule_version, origin}`; for state a RuleState; null when absent. */
  before: unknown;
  after: unknown;
}

export interface LoadedRules {
  rules: CompiledRule[];
  /** Feed position the snapshot corresponds to: changes with seq ≤ this are already included. */
  seq: number | null;
}

export interface SubscribeOptions {
  signal?: AbortSignal;
  /** Buffered changes beyond this make the subscriber receive one resync marker instead. */
  maxBuffered?: number;
  /**
   * Replay every change with seq > fromSeq first, then continue live (database backends read the
   * feed by seq, so nothing is lost and nothing buffers without bound). The filesystem backend's
   * seq is per process: it replays what it still holds and sends a resync marker when it no
   * longer holds everything after fromSeq.
   */
  fromSeq?: number;
}

export interface UpsertOptions {
  actor: string;
  expectedRevision?: number;
  origin?: RuleOrigin;
  sourcePath?: string | null;
}

/** One rule of a batch upsert. */
export interface RuleUpsert {
  yamlText: string;
  /** undefined keeps the stored path. */
  sourcePath?: string | null;
  /** parseRule's rule for exactly this text when the caller validated it already (one validation pass). */
  rule?: CompiledRule;
}

export interface UpsertRulesOptions {
  actor: string;
  origin?: RuleOrigin;
  /** Progress of the write: rules done so far out of all (synchronous, may run inside a transaction). */
  onProgress?: (done: number, total: number) => void;
}

export interface UpsertRulesResult {
  /** Rules stored with a new revision (one change each in the feed), in input order. */
  written: string[];
  /** Rules whose stored text and origin were already these. */
  unchanged: string[];
}

export interface DeleteOptions {
  actor: string;
  expectedRevision?: number;
  reason?: string;
}

export interface HistoryQuery {
  ruleId?: string;
  limit: number;
  /** Only entries with seq strictly below this. */
  before?: number;
  actor?: string;
  kind?: ChangeLogEntry["kind"];
  /** Only expiry reverts (true) or only the rest (false). */
  autoRevert?: boolean;
}

/** The one contract both backends implement (SPEC §3). */
export interface RuleStore {
  readonly backend: "filesystem" | "sqlite" | "postgres";
  /** True when seqs live in a shared, durable feed (the database: any process can resume from them, its head tells reachability); false when they count within this process only (filesystem). */
  readonly durableFeed: boolean;
  /** Every loadable rule, with its stored state stamped in. */
  loadCompiled(): Promise<LoadedRules>;
  /** Effective state; the default for unknown rules. Never throws for a missing rule. */
  getState(ruleId: string): Promise<RuleState>;
  /** Validates (semantics only: writers apply the operator policy first, lib/state/policy.ts) and stores a state; NotFoundError for an unknown rule, ValidationError for bad input. */
  setState(ruleId: string, input: unknown, actor: string): Promise<RuleState>;
  /** Back to the default state (recorded like any change). NotFoundError for an unknown rule; ValidationError for a reason over MAX_REASON_LENGTH. */
  clearState(ruleId: string, actor: string, reason?: string): Promise<RuleState>;
  /** Registers synchronously; yields one change per edit in order; ends on return() or abort. */
  subscribeChanges(options?: SubscribeOptions): AsyncIterableIterator<ChangeEvent>;
  /** Newest seq of the change feed (0 when nothing changed yet). */
  headSeq(): Promise<number>;
  listRules(): Promise<RuleRecord[]>;
  /** NotFoundError when absent. */
  getRule(ruleId: string): Promise<RuleRecord>;
  /** Validates then stores the original text; ConflictError on a stale expectedRevision. */
  upsertRule(yamlText: string, options: UpsertOptions): Promise<RuleRecord>;
  /**
   * Upserts many rules as one import: every text is validated before anything is written (a
   * ValidationError lists the problems of all of them; duplicate ids are one), then the database
   * writes them in one transaction (all or nothing) and the filesystem one atomic file at a time.
   * One change per rule that differs; no expectedRevision (it overwrites).
   */
  upsertRules(items: readonly RuleUpsert[], options: UpsertRulesOptions): Promise<UpsertRulesResult>;
  deleteRule(ruleId: string, options: DeleteOptions): Promise<void>;
  history(query: HistoryQuery): Promise<ChangeLogEntry[]>;
  /** Current problems (e.g. a malformed rule file that keeps its last good version live). */
  problems(): ValidationIssue[];
  close(): Promise<void>;
}
