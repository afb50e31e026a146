import RE2 from "re2";
import { withState } from "../rules/compiled";
import { fieldFor } from "../rules/match-event";
import type { CompiledRule } from "../rules/types";
import { effectiveState, type RuleState } from "../state/rule-state";
import { uuidv5InTagNamespace } from "./tag-id";
import type { Tag, TtpEvent } from "./types";

/** Extra payload keys copied into the evidence of every tag from a command event (SPEC §4.1). */
const COMMAND_AUX_FIELDS = ["uid", "user", "src", "pwd"] as const;

/** Rules of one source kind that read the same payload field, matched in one RE2.Set pass. */
interface FieldGroup {
  readonly field: string;
  /** Index i of the set is rules[i]; null when the group has a single rule (plain RE2 is cheaper). */
  readonly set: InstanceType<typeof RE2.Set> | null;
  readonly single: RE2 | null;
  readonly rules: readonly CompiledRule[];
}

// Tag-id name suffix per emits entry ("|rule_id|rule_version|technique|sub"), built once per
// compiled rule: on the hot path only "<kind>|<source_id>" is concatenated in front of it.
const suffixCache = new WeakMap<CompiledRule, readonly string[]>();
function tagSuffixes(rule: CompiledRule): readonly string[] {
  let s = suffixCache.get(rule);
  if (s === undefined) {
    s = rule.emits.map((e) => `|${rule.ruleId}|${rule.ruleVersion}|${e.technique_id}|${e.sub_technique_id ?? ""}`);
    suffixCache.set(rule, s);
  }
  return s;
}

interface Snapshot {
  readonly byId: ReadonlyMap<string, CompiledRule>;
  readonly byKind: ReadonlyMap<string, readonly FieldGroup[]>;
}

export interface EngineOptions {
  /** Epoch ms; effective state (expiry) is resolved against it at evaluation time. */
  clock?: () => number;
  /** Ownership predicate: rules it rejects are never installed (sharding across workers). */
  owns?: (rule: CompiledRule) => boolean;
}

export interface EngineStats {
  rules: number;
  patternRules: number;
  analyzerRules: number;
  kinds: number;
}

const EMPTY: Snapshot = { byId: new Map(), byKind: new Map() };

/**
 * Evaluates events against an index of compiled rules by source kind. Every mutation builds a
 * new immutable snapshot and swaps one reference, so an evaluation in flight always sees one
 * consistent rule set. Matching runs on RE2 (linear time in the input length).
 */
export class Engine {
  private snapshot: Snapshot = EMPTY;
  private readonly clock: () => number;
  private readonly owns: (rule: CompiledRule) => boolean;

  constructor(options: EngineOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.owns = options.owns ?? (() => true);
  }

  /** Replaces the whole rule set at once. */
  replaceAll(rules: Iterable<CompiledRule>): void {
    const byId = new Map<string, CompiledRule>();
    for (const r of rules) if (this.owns(r)) byId.set(r.ruleId, r);
    this.snapshot = { byId, byKind: buildIndex(byId.values()) };
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
        groups.map((g) => (g.rules.includes(prev) ? { ...g, rules: g.rules.map((r) => (r === prev ? next : r)) } : g)),
      );
    }
    this.snapshot = { byId, byKind };
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

  stats(): EngineStats {
    let patternRules = 0;
    for (const r of this.snapshot.byId.values()) if (r.match.type === "pattern") patternRules++;
    return { rules: this.snapshot.byId.size, patternRules, analyzerRules: this.snapshot.byId.size - patternRules, kinds: this.snapshot.byKind.size };
  }

  /**
   * Tags for one event: one per `emits` entry of every active pattern rule whose `applies_to`
   * has the event's kind and whose pattern is found in the field; confidence after the clip.
   */
  evaluate(event: TtpEvent, nowMs: number = this.clock()): Tag[] {
    const groups = this.snapshot.byKind.get(event.source_kind);
    if (groups === undefined) return [];
    const payload = event.payload;
    let tags: Tag[] | null = null;
    for (const g of groups) {
      const value = payload[g.field];
      if (typeof value !== "string") continue;
      if (g.single !== null) {
        if (!g.single.test(Buffer.from(value, "utf8"))) continue;
        tags = this.emit(g.rules[0] as CompiledRule, event, nowMs, tags);
        continue;
      }
      // node-re2 converts a JS string to UTF-8 on each call; Buffer.from is cheaper than that path.
      const hits = (g.set as InstanceType<typeof RE2.Set>).match(Buffer.from(value, "utf8"));
      if (hits.length === 0) continue;
      if (hits.length > 1) hits.sort((a, b) => a - b);
      for (const i of hits) tags = this.emit(g.rules[i] as CompiledRule, event, nowMs, tags);
    }
    return tags ?? [];
  }

  /** Ids of the rules that would fire on the event (ignores state). */
  matchingRuleIds(event: TtpEvent): string[] {
    const groups = this.snapshot.byKind.get(event.source_kind);
    if (!groups) return [];
    const out: string[] = [];
    for (const g of groups) {
      const value = event.payload[g.field];
      if (typeof value !== "string") continue;
      const bytes = Buffer.from(value, "utf8");
      if (g.single) {
        if (g.single.test(bytes)) out.push((g.rules[0] as CompiledRule).ruleId);
      } else {
        for (const i of (g.set as InstanceType<typeof RE2.Set>).match(bytes)) out.push((g.rules[i] as CompiledRule).ruleId);
      }
    }
    return out.sort();
  }

  private emit(rule: CompiledRule, event: TtpEvent, nowMs: number, tags: Tag[] | null): Tag[] | null {
    const state = effectiveState(rule.state, nowMs);
    if (state.state === "disabled") return tags;
    const cap = state.state === "clipped" && state.confidence_max !== null ? state.confidence_max : 1;
    const evidence = buildEvidence(rule, event);
    const out = tags ?? [];
    const suffixes = tagSuffixes(rule);
    const prefix = `${event.source_kind}|${event.source_id}`;
    for (let i = 0; i < rule.emits.length; i++) {
      const e = rule.emits[i] as CompiledRule["emits"][number];
      out.push({
        uuid: uuidv5InTagNamespace(prefix + (suffixes[i] as string)),
        source_kind: event.source_kind,
        source_id: event.source_id,
        attacker_uuid: event.attacker_uuid ?? null,
        identity_uuid: event.identity_uuid ?? null,
        session_id: event.session_id ?? null,
        decky_id: event.decky_id ?? null,
        tactic: e.tactic,
        technique_id: e.technique_id,
        sub_technique_id: e.sub_technique_id,
        confidence: e.confidence < cap ? e.confidence : cap,
        rule_id: rule.ruleId,
        rule_version: rule.ruleVersion,
        evidence,
      });
    }
    return out;
  }

  private swap(byId: Map<string, CompiledRule>, kinds: Set<string>): void {
    const byKind = new Map(this.snapshot.byKind);
    for (const kind of kinds) {
      const rules = [...byId.values()].filter((r) => r.appliesTo.has(kind));
      const groups = buildGroups(kind, rules);
      if (groups.length === 0) byKind.delete(kind);
      else byKind.set(kind, groups);
    }
    this.snapshot = { byId, byKind };
  }
}

function buildEvidence(rule: CompiledRule, event: TtpEvent): Record<string, unknown> {
  const evidence: Record<string, unknown> = {};
  const payload = event.payload;
  for (const f of rule.evidenceFields) {
    const v = payload[f];
    if (v !== undefined) evidence[f] = v;
  }
  if (event.source_kind === "command") {
    for (const f of COMMAND_AUX_FIELDS) {
      const v = payload[f];
      if (v !== undefined) evidence[f] = v;
    }
  }
  return evidence;
}

function kindsOf(...rules: (CompiledRule | undefined)[]): Set<string> {
  const kinds = new Set<string>();
  for (const r of rules) if (r) for (const k of r.appliesTo) kinds.add(k);
  return kinds;
}

function buildIndex(rules: Iterable<CompiledRule>): Map<string, FieldGroup[]> {
  const perKind = new Map<string, CompiledRule[]>();
  for (const r of rules) {
    for (const kind of r.appliesTo) {
      const list = perKind.get(kind) ?? [];
      list.push(r);
      perKind.set(kind, list);
    }
  }
  const byKind = new Map<string, FieldGroup[]>();
  for (const [kind, list] of perKind) {
    const groups = buildGroups(kind, list);
    if (groups.length > 0) byKind.set(kind, groups);
  }
  return byKind;
}

function buildGroups(kind: string, rules: CompiledRule[]): FieldGroup[] {
  const byField = new Map<string, CompiledRule[]>();
  for (const r of rules) {
    if (r.match.type !== "pattern" || r.matcher === null) continue;
    const field = fieldFor(r.match.field, kind);
    if (field === null) continue;
    const list = byField.get(field) ?? [];
    list.push(r);
    byField.set(field, list);
  }
  const groups: FieldGroup[] = [];
  for (const [field, list] of byField) {
    list.sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
    const sources = list.map((r) => (r.matcher as NonNullable<CompiledRule["matcher"]>).re2Source);
    if (list.length === 1) {
      groups.push({ field, set: null, single: new RE2(sources[0] as string), rules: list });
    } else {
      groups.push({ field, set: new RE2.Set(sources), single: null, rules: list });
    }
  }
  return groups;
}
