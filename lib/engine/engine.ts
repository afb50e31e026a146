import RE2 from "re2";
import { withState } from "../rules/compiled";
import { fieldFor } from "../rules/match-event";
import type { CompiledRule } from "../rules/types";
import type { RuleState } from "../state/semantics";
import { familyRank, prepareAnalyzer, type PreparedAnalyzer } from "./analyzers";
import { SKIP, type AnalyzerContext, type AnalyzerOutcome, type Decision } from "./analyzers/types";
import { evidenceExtractor, internKey, type EvidenceExtractor } from "./evidence";
import { DEFAULT_CAPACITY, MatchCache, newTotals, type Hits, type MatchCacheStats, type MatchCacheTotals } from "./match-cache";
import { NameSuffix, type Uuidv5Builder } from "./sha1-uuid";
import { tagIdBuilder, tagIdSuffix } from "./tag-id";
import type { Tag, TtpEvent } from "./types";

/** Extra payload keys copied into the evidence of every tag from a command event (SPEC §4.1). */
const COMMAND_AUX_FIELDS = ["uid", "user", "src", "pwd"] as const;

/**
 * A pattern rule as the hot path needs it for one source kind, resolved once when the rule is
 * installed or restamped: evidence keys, tag-id suffix bytes, confidence after the clip.
 */
interface Plan {
  readonly rule: CompiledRule;
  /**
   * Builds the evidence: the rule's evidence_fields, then for command events uid, user, src,
   * pwd (first occurrence kept). Equal key lists have the same extractor.
   */
  readonly evidence: EvidenceExtractor;
  readonly emits: readonly EmitPlan[];
  /** The stamped state is in force while nowMs < until (its expiry; Infinity when none). */
  readonly until: number;
  /** The stamped state is "disabled". */
  readonly disabled: boolean;
}

interface EmitPlan {
  readonly tactic: string;
  readonly technique_id: string;
  readonly sub_technique_id: string | null;
  /** Confidence after the stamped state's clip. */
  readonly confidence: number;
  /** Confidence once the stamped state has expired (the default state: no clip). */
  readonly defaultConfidence: number;
  /** The tag-id name after `source_kind|source_id` (see tagIdSuffix), with its cached message tails. */
  readonly idSuffix: NameSuffix;
}

/** Rules of one source kind that read the same payload field, matched in one RE2.Set pass. */
interface FieldGroup {
  readonly field: string;
  /** Index i of its hits is plans[i]. Shared by the groups of later snapshots with the same rules and patterns. */
  readonly matcher: GroupMatcher;
  readonly plans: readonly Plan[];
}

/** Match cache size per field group and the engine's counters. */
interface CacheConfig {
  readonly entries: number;
  readonly totals: MatchCacheTotals;
}

const NO_HITS: Hits = Object.freeze([]);
const FIRST_ONLY: Hits = Object.freeze([0]);

/** The patterns of a field group: an RE2.Set, or one RE2 when the group has a single rule (cheaper), behind a MatchCache. */
class GroupMatcher {
  private readonly set: InstanceType<typeof RE2.Set> | null;
  private readonly single: RE2 | null;
  readonly cache: MatchCache | null;

  constructor(sources: readonly string[], cache: CacheConfig) {
    this.set = sources.length > 1 ? new RE2.Set(sources) : null;
    this.single = sources.length === 1 ? new RE2(sources[0] as string) : null;
    this.cache = cache.entries > 0 ? new MatchCache(cache.entries, (value) => this.run(value), cache.totals) : null;
  }

  /** Indices of the patterns found in `value`, ascending. */
  hits(value: string): Hits {
    return this.cache === null ? this.run(value) : this.cache.hits(value);
  }

  private run(value: string): Hits {
    if (this.single !== null) return this.single.test(matchInput(value)) ? FIRST_ONLY : NO_HITS;
    const hits = (this.set as InstanceType<typeof RE2.Set>).match(matchInput(value));
    return hits.length === 0 ? NO_HITS : ascending(hits);
  }
}

function planFor(rule: CompiledRule, kind: string): Plan {
  const keys = kind === "command" ? [...rule.evidenceFields, ...COMMAND_AUX_FIELDS] : rule.evidenceFields;
  // Same resolution as effectiveState(): an unparsable expiry never expires.
  const state = rule.state as RuleState | null | undefined;
  const expiresAt = state?.expires_at != null ? Date.parse(state.expires_at) : NaN;
  const cap = state?.state === "clipped" && state.confidence_max !== null ? state.confidence_max : 1;
  return {
    rule,
    evidence: evidenceExtractor(keys),
    emits: rule.emits.map((e) => ({
      tactic: e.tactic,
      technique_id: e.technique_id,
      sub_technique_id: e.sub_technique_id,
      confidence: e.confidence < cap ? e.confidence : cap,
      defaultConfidence: e.confidence < 1 ? e.confidence : 1,
      idSuffix: new NameSuffix(tagIdSuffix(rule.ruleId, rule.ruleVersion, e.technique_id, e.sub_technique_id)),
    })),
    until: Number.isFinite(expiresAt) ? expiresAt : Infinity,
    disabled: state?.state === "disabled",
  };
}

/**
 * UTF-8 of a field value for RE2 without allocating: written into one reused buffer and passed
 * as a cached view of the exact length (RE2 reads it synchronously). Only valid until the next
 * call. ASCII (nearly every command) is copied by a plain loop; from the first other code unit on,
 * TextEncoder#encodeInto writes the rest (≈ 85 ns per call for a 30-character command against
 * ≈ 25 ns for the loop); past 256 units Buffer#write (native) is faster. The pool grows (to a power of two, at most 1 MiB) for long values instead
 * of allocating a Buffer per field: off-heap allocations of attacker-sized inputs are what made V8
 * run full GCs in the middle of the adversarial bench. Longer values get their own Buffer. Views
 * are cached up to 4 KiB.
 */
const MIN_POOL_BYTES = 1 << 16;
const MAX_POOL_BYTES = 1 << 20;
const MAX_CACHED_VIEW = 4096;
/** Up to this many UTF-16 units the JS loop beats Buffer#write's call overhead. */
const SHORT_VALUE = 256;
let pool = Buffer.allocUnsafeSlow(MIN_POOL_BYTES);
const utf8 = new TextEncoder();
let poolViews: (Buffer | undefined)[] = [];
function matchInput(value: string): Buffer {
  const len = value.length;
  const worst = len * 3;
  if (worst > pool.length) {
    if (worst > MAX_POOL_BYTES) return Buffer.from(value, "utf8");
    let size = pool.length;
    while (size < worst) size *= 2;
    pool = Buffer.allocUnsafeSlow(size);
    poolViews = [];
  }
  const buf = pool;
  // Long values: Buffer#write is native and copies one-byte strings at memcpy speed.
  if (len > SHORT_VALUE) return poolView(buf.write(value, 0, "utf8"));
  let n = len;
  for (let i = 0; i < len; i++) {
    const c = value.charCodeAt(i);
    if (c > 0x7f) {
      n = i + utf8.encodeInto(i === 0 ? value : value.slice(i), i === 0 ? buf : buf.subarray(i)).written;
      break;
    }
    buf[i] = c;
  }
  return poolView(n);
}

/** The first `n` bytes of the pool, as a view cached per length up to MAX_CACHED_VIEW. */
function poolView(n: number): Buffer {
  if (n > MAX_CACHED_VIEW) return pool.subarray(0, n);
  return poolViews[n] ?? (poolViews[n] = pool.subarray(0, n));
}

/** Indices from RE2.Set.match in ascending order (the binding sorts them; this only checks). */
function ascending(hits: number[]): number[] {
  for (let k = 1; k < hits.length; k++) {
    if ((hits[k - 1] as number) > (hits[k] as number)) return hits.sort((a, b) => a - b);
  }
  return hits;
}

/** An analyzer rule as the hot path needs it for one source kind (cf. Plan). */
interface AnalyzerPlan {
  readonly rule: CompiledRule;
  readonly kind: string;
  readonly prepared: PreparedAnalyzer;
  /** The rule's evidence_fields (own properties of the payload only). */
  readonly evidenceKeys: readonly string[];
  readonly emits: readonly AnalyzerEmitPlan[];
  readonly until: number;
  readonly disabled: boolean;
  /** The clip of the stamped state (1 when none). */
  readonly cap: number;
  readonly identity: boolean;
}

interface AnalyzerEmitPlan {
  readonly tactic: string;
  readonly technique_id: string;
  readonly sub_technique_id: string | null;
  /** As written in the rule. */
  readonly base: number;
  readonly idSuffix: NameSuffix;
}

interface Snapshot {
  readonly byId: ReadonlyMap<string, CompiledRule>;
  readonly byKind: ReadonlyMap<string, readonly FieldGroup[]>;
  /** Analyzer rules per source kind, in upstream's family order, then by rule id. */
  readonly analyzers: ReadonlyMap<string, readonly AnalyzerPlan[]>;
}

/** Per `lifter:` kind: events on which a read field was ill-typed (SKIP), and predicate failures. */
export interface AnalyzerCounts {
  skipped: number;
  errors: number;
}

/** A predicate that threw: contained to that rule and event (the other rules' tags still come out). */
export interface AnalyzerFailure {
  ruleId: string;
  kind: string;
  message: string;
}

export interface EngineOptions {
  /** Epoch ms; effective state (expiry) is resolved against it at evaluation time. */
  clock?: () => number;
  /** Ownership predicate: rules it rejects are never installed (sharding across workers). */
  owns?: (rule: CompiledRule) => boolean;
  /**
   * Entries per generation of each field group's match cache (see match-cache.ts); 0 disables it.
   * Default 4096.
   */
  matchCacheEntries?: number;
  /**
   * Reads an e-mail body from the artifacts store for an event's payload (decky_id, stored_as),
   * or null. Workers only (TTP_ARTIFACTS_DIR); called at most once per event, lazily.
   */
  emailBodyReader?: (payload: Readonly<Record<string, unknown>>) => string | null;
  /** Told about every predicate that throws (after it is counted). */
  onAnalyzerError?: (failure: AnalyzerFailure) => void;
}

export interface EngineStats {
  rules: number;
  patternRules: number;
  analyzerRules: number;
  kinds: number;
  /** Match-cache counters since the engine was created, and the entries its current field groups hold. */
  matchCache: MatchCacheStats;
}

const EMPTY: Snapshot = { byId: new Map(), byKind: new Map(), analyzers: new Map() };
const NO_PLANS: readonly AnalyzerPlan[] = Object.freeze([]);
const MAX_KEPT_FAILURES = 10;

/**
 * Evaluates events against an index of compiled rules by source kind. Every mutation builds a
 * new immutable snapshot and swaps one reference, so an evaluation in flight always sees one
 * consistent rule set. Matching runs on RE2 (linear time in the input length).
 */
export class Engine {
  private snapshot: Snapshot = EMPTY;
  private readonly clock: () => number;
  private readonly owns: (rule: CompiledRule) => boolean;
  private readonly cache: CacheConfig;
  /** Tag ids: `source_kind|source_id` is written once per event, each tag appends its suffix. */
  private readonly ids: Uuidv5Builder = tagIdBuilder();
  /** Evidence of the event being evaluated and its extractor: tags of rules with equal key lists share it. */
  private evidenceOf: EvidenceExtractor | null = null;
  private evidence: Record<string, unknown> | null = null;
  private readonly counts = new Map<string, AnalyzerCounts>();
  /** The first predicate failures since the last takeAnalyzerFailures() (bounded). */
  private failures: AnalyzerFailure[] = [];
  private readonly onAnalyzerError: ((failure: AnalyzerFailure) => void) | null;
  private readonly ctx: EvalContext;

  constructor(options: EngineOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.onAnalyzerError = options.onAnalyzerError ?? null;
    this.ctx = new EvalContext(options.emailBodyReader ?? null);
    this.owns = options.owns ?? (() => true);
    const entries = options.matchCacheEntries ?? DEFAULT_CAPACITY;
    if (!Number.isInteger(entries) || entries < 0) throw new RangeError(`matchCacheEntries must be a non-negative integer, got ${entries}`);
    this.cache = { entries, totals: newTotals() };
  }

  /** Replaces the whole rule set at once. */
  replaceAll(rules: Iterable<CompiledRule>): void {
    const byId = new Map<string, CompiledRule>();
    for (const r of rules) if (this.owns(r)) byId.set(r.ruleId, r);
    const perKind = rulesByKind(byId.values());
    this.snapshot = {
      byId,
      byKind: indexBy(perKind, (kind, list) => buildGroups(kind, list, this.cache)),
      analyzers: indexBy(perKind, (_kind, list) => buildAnalyzerPlans(list)),
    };
  }

  /** Installs or replaces one rule (with the state stamped in it); returns false if not owned. */
  install(rule: CompiledRule): boolean {
    if (!this.owns(rule)) {
      this.evict(rule.ruleId);
      return false;
    }
    const prev = this.snapshot.byId.get(rule.ruleId);
    const byId = new Map(this.snapshot.byId);
    byId.set(rule.ruleId, rule);
    this.swap(byId, kindsOf(prev, rule));
    return true;
  }

  /** Removes a rule from the index (deleted, or no longer owned); returns whether it was there. */
  evict(ruleId: string): boolean {
    const prev = this.snapshot.byId.get(ruleId);
    if (!prev) return false;
    const byId = new Map(this.snapshot.byId);
    byId.delete(ruleId);
    this.swap(byId, kindsOf(prev));
    return true;
  }

  /** A rule deleted from the store: same as evict. */
  delete(ruleId: string): boolean {
    return this.evict(ruleId);
  }

  /** Stamps a new operational state into an installed rule (no pattern recompilation). */
  restamp(ruleId: string, state: RuleState): boolean {
    const prev = this.snapshot.byId.get(ruleId);
    if (!prev) return false;
    const next = withState(prev, state);
    const byId = new Map(this.snapshot.byId);
    byId.set(ruleId, next);
    const byKind = new Map(this.snapshot.byKind);
    for (const kind of prev.appliesTo) {
      const groups = byKind.get(kind);
      if (!groups) continue;
      byKind.set(
        kind,
        groups.map((g) => (g.plans.some((p) => p.rule === prev) ? { ...g, plans: g.plans.map((p) => (p.rule === prev ? planFor(next, kind) : p)) } : g)),
      );
    }
    let analyzers = this.snapshot.analyzers;
    if (prev.match.type === "analyzer") {
      const m = new Map(analyzers);
      for (const kind of prev.appliesTo) {
        const plans = m.get(kind);
        if (plans) m.set(kind, plans.map((p) => (p.rule === prev ? (analyzerPlanFor(next) ?? p) : p)));
      }
      analyzers = m;
    }
    this.snapshot = { byId, byKind, analyzers };
    return true;
  }

  get(ruleId: string): CompiledRule | undefined {
    return this.snapshot.byId.get(ruleId);
  }

  rules(): CompiledRule[] {
    return [...this.snapshot.byId.values()];
  }

  get size(): number {
    return this.snapshot.byId.size;
  }

  /** Match-cache counters since the engine was created (a copy; cheap enough to read per block). */
  matchCacheTotals(): MatchCacheTotals {
    const t = this.cache.totals;
    return { lookups: t.lookups, hits: t.hits, bypassed: t.bypassed };
  }

  /** The predicate failures (at most 10) since the last call; the counts in analyzerCounts() are exact. */
  takeAnalyzerFailures(): AnalyzerFailure[] {
    const f = this.failures;
    if (f.length > 0) this.failures = [];
    return f;
  }

  /** Per-kind analyzer counters since the engine was created (a copy). */
  analyzerCounts(): Map<string, AnalyzerCounts> {
    const out = new Map<string, AnalyzerCounts>();
    for (const [k, c] of this.counts) out.set(k, { skipped: c.skipped, errors: c.errors });
    return out;
  }

  stats(): EngineStats {
    let patternRules = 0;
    for (const r of this.snapshot.byId.values()) if (r.match.type === "pattern") patternRules++;
    const matchCache: MatchCacheStats = { ...this.cache.totals, entries: 0 };
    for (const groups of this.snapshot.byKind.values()) for (const g of groups) matchCache.entries += g.matcher.cache?.entries ?? 0;
    return { rules: this.snapshot.byId.size, patternRules, analyzerRules: this.snapshot.byId.size - patternRules, kinds: this.snapshot.byKind.size, matchCache };
  }

  /**
   * Tags for one event: one per `emits` entry of every active pattern rule whose `applies_to`
   * has the event's kind and whose pattern is found in the field; confidence after the clip.
   * `nowMs` (default: the clock, read only if a matching rule has an expiry) resolves expiry.
   */
  evaluate(event: TtpEvent, nowMs?: number): Tag[] {
    const snapshot = this.snapshot;
    const groups = snapshot.byKind.get(event.source_kind);
    const analyzers = snapshot.analyzers.get(event.source_kind);
    if (groups === undefined && analyzers === undefined) return [];
    const payload = event.payload;
    let tags: Tag[] | null = null;
    if (groups !== undefined) {
      for (let gi = 0; gi < groups.length; gi++) {
        const g = groups[gi] as FieldGroup;
        const value = payload[g.field];
        if (typeof value !== "string") continue;
        const hits = g.matcher.hits(value);
        for (let k = 0; k < hits.length; k++) tags = this.emit(g.plans[hits[k] as number] as Plan, event, nowMs, tags);
      }
    }
    if (analyzers !== undefined) tags = this.runAnalyzers(analyzers, event, nowMs, tags);
    return tags ?? [];
  }

  /** Analyzer rules of the event's kind, in order: state gate, predicate (contained), tags. */
  private runAnalyzers(plans: readonly AnalyzerPlan[], event: TtpEvent, nowMs: number | undefined, tags: Tag[] | null): Tag[] | null {
    const ctx = this.ctx;
    ctx.begin(event.payload);
    try {
      for (let i = 0; i < plans.length; i++) {
        const plan = plans[i] as AnalyzerPlan;
        let expired = false;
        if (plan.until !== Infinity) expired = (nowMs ?? this.clock()) >= plan.until;
        if (plan.disabled && !expired) continue;
        if (plan.identity && (event.identity_uuid === undefined || event.identity_uuid === null)) continue;
        const gate = plan.prepared.gate;
        if (gate !== null && !anyPresent(event.payload, gate)) continue;
        const outcome = this.outcomeOf(plan, event.payload);
        if (outcome === null || outcome === SKIP) continue;
        if (tags === null) {
          this.ids.setPrefix(event.source_kind, event.source_id);
          this.evidenceOf = null;
        }
        const cap = expired ? 1 : plan.cap;
        const out: Tag[] = tags ?? [];
        if ("decisions" in outcome) {
          for (const e of plan.emits) {
            const d = decisionFor(outcome.decisions, e.technique_id);
            if (d !== null) out.push(this.analyzerTag(plan, e, event, e.base * d.multiplier, cap, d.evidence));
          }
        } else {
          for (const e of plan.emits) out.push(this.analyzerTag(plan, e, event, e.base, cap, outcome.evidence));
        }
        if (out.length > 0) tags = out;
      }
    } finally {
      ctx.end();
    }
    return tags;
  }

  /** The predicate's outcome; SKIP and throws are counted per kind (a throw is reported, never propagated). */
  private outcomeOf(plan: AnalyzerPlan, payload: Readonly<Record<string, unknown>>): AnalyzerOutcome {
    const ctx = this.ctx;
    ctx.keys = plan.evidenceKeys;
    let outcome: AnalyzerOutcome;
    try {
      outcome = plan.prepared.analyzer.evaluate(plan.prepared.config, payload, ctx);
    } catch (err) {
      this.count(plan.kind).errors++;
      const failure = { ruleId: plan.rule.ruleId, kind: plan.kind, message: err instanceof Error ? err.message : String(err) };
      if (this.failures.length < MAX_KEPT_FAILURES) this.failures.push(failure);
      this.onAnalyzerError?.(failure);
      return null;
    }
    if (outcome === SKIP) this.count(plan.kind).skipped++;
    return outcome;
  }

  private count(kind: string): AnalyzerCounts {
    let c = this.counts.get(kind);
    if (c === undefined) {
      c = { skipped: 0, errors: 0 };
      this.counts.set(kind, c);
    }
    return c;
  }

  private analyzerTag(plan: AnalyzerPlan, e: AnalyzerEmitPlan, event: TtpEvent, computed: number, cap: number, evidence: Record<string, unknown>): Tag {
    let confidence = computed < cap ? computed : cap;
    // Intel multipliers are unbounded upstream (a score of 200 doubles the base): a tag's confidence stays in [0, 1].
    if (!(confidence >= 0)) confidence = 0;
    else if (confidence > 1) confidence = 1;
    return {
      uuid: this.ids.withNameSuffix(e.idSuffix),
      source_kind: event.source_kind,
      source_id: event.source_id,
      attacker_uuid: plan.identity ? null : (event.attacker_uuid ?? null),
      identity_uuid: event.identity_uuid ?? null,
      session_id: event.session_id ?? null,
      decky_id: event.decky_id ?? null,
      tactic: e.tactic,
      technique_id: e.technique_id,
      sub_technique_id: e.sub_technique_id,
      confidence,
      rule_id: plan.rule.ruleId,
      rule_version: plan.rule.ruleVersion,
      evidence,
    };
  }

  /** Ids of the rules that would fire on the event (ignores state). */
  matchingRuleIds(event: TtpEvent): string[] {
    const out: string[] = [];
    for (const g of this.snapshot.byKind.get(event.source_kind) ?? []) {
      const value = event.payload[g.field];
      if (typeof value !== "string") continue;
      for (const i of g.matcher.hits(value)) out.push((g.plans[i] as Plan).rule.ruleId);
    }
    const plans = this.snapshot.analyzers.get(event.source_kind) ?? NO_PLANS;
    if (plans.length > 0) {
      this.ctx.begin(event.payload);
      try {
        for (const plan of plans) {
          if (plan.identity && (event.identity_uuid === undefined || event.identity_uuid === null)) continue;
          const o = this.outcomeOf(plan, event.payload);
          if (o === null || o === SKIP) continue;
          if ("decisions" in o && !plan.emits.some((e) => decisionFor(o.decisions, e.technique_id) !== null)) continue;
          out.push(plan.rule.ruleId);
        }
      } finally {
        this.ctx.end();
      }
    }
    return out.sort();
  }

  private emit(plan: Plan, event: TtpEvent, nowMs: number | undefined, tags: Tag[] | null): Tag[] | null {
    let expired = false;
    if (plan.until !== Infinity) expired = (nowMs ?? this.clock()) >= plan.until;
    if (plan.disabled && !expired) return tags;
    if (tags === null) {
      // First tag of this event.
      this.ids.setPrefix(event.source_kind, event.source_id);
      this.evidenceOf = null;
    }
    let evidence = this.evidence;
    if (plan.evidence !== this.evidenceOf || evidence === null) {
      evidence = plan.evidence.build(event.payload);
      this.evidenceOf = plan.evidence;
      this.evidence = evidence;
    }
    let out = tags;
    const emits = plan.emits;
    for (let i = 0; i < emits.length; i++) {
      const tag = this.tag(plan, emits[i] as EmitPlan, event, expired, evidence);
      // Most events get one tag: an array literal of one is the smallest backing store.
      if (out === null) out = [tag];
      else out.push(tag);
    }
    return out;
  }

  private tag(plan: Plan, e: EmitPlan, event: TtpEvent, expired: boolean, evidence: Record<string, unknown>): Tag {
    const rule = plan.rule;
    return {
      uuid: this.ids.withNameSuffix(e.idSuffix),
      source_kind: event.source_kind,
      source_id: event.source_id,
      attacker_uuid: event.attacker_uuid ?? null,
      identity_uuid: event.identity_uuid ?? null,
      session_id: event.session_id ?? null,
      decky_id: event.decky_id ?? null,
      tactic: e.tactic,
      technique_id: e.technique_id,
      sub_technique_id: e.sub_technique_id,
      confidence: expired ? e.defaultConfidence : e.confidence,
      rule_id: rule.ruleId,
      rule_version: rule.ruleVersion,
      evidence,
    };
  }

  private swap(byId: Map<string, CompiledRule>, kinds: Set<string>): void {
    const byKind = new Map(this.snapshot.byKind);
    const analyzers = new Map(this.snapshot.analyzers);
    for (const kind of kinds) {
      const rules = [...byId.values()].filter((r) => r.appliesTo.has(kind));
      const groups = buildGroups(kind, rules, this.cache);
      if (groups.length === 0) byKind.delete(kind);
      else byKind.set(kind, groups);
      const plans = buildAnalyzerPlans(rules);
      if (plans.length === 0) analyzers.delete(kind);
      else analyzers.set(kind, plans);
    }
    this.snapshot = { byId, byKind, analyzers };
  }
}

function kindsOf(...rules: (CompiledRule | undefined)[]): Set<string> {
  const kinds = new Set<string>();
  for (const r of rules) if (r) for (const k of r.appliesTo) kinds.add(k);
  return kinds;
}

/** The rules of each source kind they apply to. */
function rulesByKind(rules: Iterable<CompiledRule>): Map<string, CompiledRule[]> {
  const perKind = new Map<string, CompiledRule[]>();
  for (const r of rules) {
    for (const kind of r.appliesTo) {
      const list = perKind.get(kind) ?? [];
      list.push(r);
      perKind.set(kind, list);
    }
  }
  return perKind;
}

/** One index entry per kind with a non-empty build (field groups, analyzer plans). */
function indexBy<T>(perKind: ReadonlyMap<string, CompiledRule[]>, build: (kind: string, rules: CompiledRule[]) => T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const [kind, list] of perKind) {
    const built = build(kind, list);
    if (built.length > 0) out.set(kind, built);
  }
  return out;
}

function buildGroups(kind: string, rules: CompiledRule[], cache: CacheConfig): FieldGroup[] {
  const byField = new Map<string, CompiledRule[]>();
  for (const r of rules) {
    if (r.match.type !== "pattern" || r.matcher === null) continue;
    const f = fieldFor(r.match.field, kind);
    if (f === null) continue;
    const field = internKey(f);
    const list = byField.get(field) ?? [];
    list.push(r);
    byField.set(field, list);
  }
  const groups: FieldGroup[] = [];
  for (const [field, list] of byField) {
    list.sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
    const sources = list.map((r) => (r.matcher as NonNullable<CompiledRule["matcher"]>).re2Source);
    const plans = list.map((r) => planFor(r, kind));
    groups.push({ field, matcher: new GroupMatcher(sources, cache), plans });
  }
  return groups;
}

/** The decision for a technique, or null (intel: an emits entry without a decision emits nothing). */
function decisionFor(decisions: readonly Decision[], technique: string): Decision | null {
  for (let i = 0; i < decisions.length; i++) if ((decisions[i] as Decision).technique === technique) return decisions[i] as Decision;
  return null;
}

/**
 * The services a predicate gets (AnalyzerContext), one reused object per engine: the evidence
 * keys of the rule being evaluated and the event's e-mail body, read from disk at most once.
 */
class EvalContext implements AnalyzerContext {
  keys: readonly string[] = [];
  private payload: Readonly<Record<string, unknown>> | null = null;
  private body: string | null | undefined = undefined;
  /**
   * perEvent values: one slot per key object, valid while its stamp equals the event number (no
   * clearing per event, no allocation once each key has its slot).
   */
  private readonly memo = new Map<object, { stamp: number; value: unknown }>();
  private event = 0;

  constructor(private readonly reader: ((payload: Readonly<Record<string, unknown>>) => string | null) | null) {}

  begin(payload: Readonly<Record<string, unknown>>): void {
    this.payload = payload;
    this.body = undefined;
    this.event++;
  }

  end(): void {
    this.payload = null;
    this.body = undefined;
    // A value of this event is never reused by the next (its slot keeps it until then, bounded by the number of keys).
    this.event++;
  }

  perEvent<T>(key: object, make: () => T): T {
    let slot = this.memo.get(key);
    if (slot === undefined) {
      slot = { stamp: -1, value: undefined };
      this.memo.set(key, slot);
    }
    if (slot.stamp !== this.event) {
      slot.value = make();
      slot.stamp = this.event;
    }
    return slot.value as T;
  }

  copied(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const p = this.payload;
    if (p === null) return out;
    for (const k of this.keys) {
      // keys holds no Object.prototype name (analyzerPlanFor filters them), so a read is an own read
      // and an assignment never reaches the prototype.
      const v = p[k];
      if (v !== undefined) out[k] = v;
    }
    return out;
  }

  emailBodyFromDisk(): string | null {
    if (this.body !== undefined) return this.body;
    let body: string | null = null;
    if (this.reader !== null && this.payload !== null) {
      try {
        body = this.reader(this.payload);
      } catch {
        body = null; // the reader reports nothing per event; an unreadable artifact is no body
      }
    }
    this.body = body;
    return body;
  }
}

/** Whether one of the fields is set (not undefined or null); none is an Object.prototype name. */
function anyPresent(payload: Readonly<Record<string, unknown>>, keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    const v = payload[keys[i] as string];
    if (v !== undefined && v !== null) return true;
  }
  return false;
}

function analyzerPlanFor(rule: CompiledRule): AnalyzerPlan | null {
  if (rule.match.type !== "analyzer") return null;
  const prepared = prepareAnalyzer(rule.match);
  if (prepared === null) return null;
  const state = rule.state as RuleState | null | undefined;
  const expiresAt = state?.expires_at != null ? Date.parse(state.expires_at) : NaN;
  const cap = state?.state === "clipped" && state.confidence_max !== null && state.confidence_max < 1 ? state.confidence_max : 1;
  return {
    rule,
    kind: rule.match.kind,
    prepared,
    // As the pattern path (evidence.ts): names of Object.prototype are never payload data.
    evidenceKeys: [...new Set(rule.evidenceFields)].filter((k) => !(k in Object.prototype)),
    emits: rule.emits.map((e) => ({
      tactic: e.tactic,
      technique_id: e.technique_id,
      sub_technique_id: e.sub_technique_id,
      base: e.confidence,
      idSuffix: new NameSuffix(tagIdSuffix(rule.ruleId, rule.ruleVersion, e.technique_id, e.sub_technique_id)),
    })),
    until: Number.isFinite(expiresAt) ? expiresAt : Infinity,
    disabled: state?.state === "disabled",
    cap,
    identity: prepared.analyzer.anchor === "identity",
  };
}

function buildAnalyzerPlans(rules: readonly CompiledRule[]): AnalyzerPlan[] {
  const plans: AnalyzerPlan[] = [];
  for (const r of rules) {
    const p = analyzerPlanFor(r);
    if (p !== null) plans.push(p);
  }
  plans.sort((a, b) => familyRank(a.kind) - familyRank(b.kind) || (a.rule.ruleId < b.rule.ruleId ? -1 : a.rule.ruleId > b.rule.ruleId ? 1 : 0));
  return plans;
}

