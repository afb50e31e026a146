import { isTtpError } from "../../lib/errors";
import { effectiveState } from "../../lib/state/semantics";
import type { RuleStore } from "../../lib/store/types";
import { toCompactRows, type RowsPayload, type RuleRow } from "./rule-row";
import { attackNamesFor, toRuleRow } from "./rule-row-records";

// Server code only (see rule-row-records.ts); app/_server/rule-list-payload.ts holds one per store.

/** The rule list's two JSON bodies, serialised once for every request that wants them. */
export interface RuleListBodies {
  /** Feed head the bodies are current at. */
  head: number;
  /** /api/rules/rows (RowsPayload). */
  rows: Uint8Array<ArrayBuffer>;
  /** /api/rules/descriptions (rule id → description). */
  descriptions: Uint8Array<ArrayBuffer>;
}

/** Changes after which the rules are read again whole rather than one by one. */
const MAX_PATCH = 500;

interface Snapshot {
  head: number;
  /** By rule id, in id order: rows as the store returned them (state resolved at read time). */
  rows: Map<string, RuleRow>;
  descriptions: Map<string, string>;
}

interface Built {
  snapshot: Snapshot;
  bodies: RuleListBodies;
  /** The first expiry after the bodies were made: from then on they would show a state the store no longer returns. */
  validUntil: number;
}

const encoder = new TextEncoder();

/**
 * The rows and descriptions of every rule at the change feed's current head. Every write to a rule
 * or its state appends to the feed in the same transaction (PostgreSQL writers serialise on one
 * lock, so the head never passes an uncommitted change): while the head stays, so do the rules,
 * and the bodies are served as they are. When it moved, only the rules the feed names since are
 * read again (getRule), unless the feed's entries in between are not all there (a gap, a trimmed
 * log) or too many: then listRules. The bodies equal what listRules would give now, states resolved
 * against the clock as the store resolves them.
 */
export class RuleListCache {
  private entry: { head: number; built: Promise<Built> } | null = null;
  /** How the bodies were last made, for tests and logs. */
  readonly counts = { loads: 0, patches: 0, reserialised: 0 };

  constructor(
    private readonly store: RuleStore,
    private readonly clock: () => number = Date.now,
  ) {}

  async bodies(): Promise<RuleListBodies> {
    const head = await this.store.headSeq();
    const current = this.entry;
    if (current && current.head === head) {
      const built = await current.built.catch(() => null);
      if (built && this.clock() < built.validUntil) return built.bodies;
      if (this.entry !== current) return this.bodies();
    }
    const previous = current?.built;
    const entry = { head, built: this.build(head, previous) };
    this.entry = entry;
    // A failed build is tried again by the next request instead of being served forever.
    entry.built.catch(() => {
      if (this.entry === entry) this.entry = null;
    });
    return (await entry.built).bodies;
  }

  private async build(head: number, previous: Promise<Built> | undefined): Promise<Built> {
    const prev = previous ? await previous.catch(() => null) : null;
    const snapshot = (prev && (await this.patch(prev.snapshot, head))) ?? (await this.load(head));
    return this.serialise(snapshot);
  }

  private async load(head: number): Promise<Snapshot> {
    this.counts.loads++;
    const records = await this.store.listRules();
    const rows = new Map<string, RuleRow>();
    const descriptions = new Map<string, string>();
    for (const r of records) {
      rows.set(r.ruleId, toRuleRow(r));
      descriptions.set(r.ruleId, r.rule.description);
    }
    return { head, rows, descriptions };
  }

  /** `prev` brought to `head` by reading the rules changed since, or null when that cannot be known exactly. */
  private async patch(prev: Snapshot, head: number): Promise<Snapshot | null> {
    if (head === prev.head) {
      this.counts.reserialised++;
      return prev;
    }
    if (head < prev.head || head - prev.head > MAX_PATCH) return null;
    const entries = await this.store.history({ before: head + 1, limit: head - prev.head });
    const since = entries.filter((e) => e.seq > prev.head);
    if (since.length !== head - prev.head) return null;
    this.counts.patches++;
    const rows = new Map(prev.rows);
    const descriptions = new Map(prev.descriptions);
    let added = false;
    for (const ruleId of new Set(since.map((e) => e.ruleId))) {
      try {
        const record = await this.store.getRule(ruleId);
        added ||= !rows.has(ruleId);
        rows.set(ruleId, toRuleRow(record));
        descriptions.set(ruleId, record.rule.description);
      } catch (err) {
        // Deleted, or stored but no longer compiling: listRules leaves both out.
        if (!isTtpError(err) || (err.code !== "NOT_FOUND" && err.code !== "VALIDATION")) throw err;
        rows.delete(ruleId);
        descriptions.delete(ruleId);
      }
    }
    return { head, rows: added ? sortedById(rows) : rows, descriptions: added ? sortedById(descriptions) : descriptions };
  }

  private serialise(snapshot: Snapshot): Built {
    const now = this.clock();
    let validUntil = Number.POSITIVE_INFINITY;
    const rows: RuleRow[] = [];
    for (const row of snapshot.rows.values()) {
      const state = effectiveState(row.state, now);
      if (state.expires_at !== null) validUntil = Math.min(validUntil, Date.parse(state.expires_at));
      rows.push(state === row.state ? row : { ...row, state });
    }
    // The live stream resumes from this head; changes after it are re-applied on top (idempotent).
    const payload: RowsPayload = { seq: this.store.durableFeed ? snapshot.head : null, ...toCompactRows(rows), names: attackNamesFor(rows) };
    const bodies: RuleListBodies = {
      head: snapshot.head,
      rows: encoder.encode(JSON.stringify(payload)),
      descriptions: encoder.encode(JSON.stringify(Object.fromEntries(snapshot.descriptions))),
    };
    return { snapshot, bodies, validUntil };
  }
}

/** The map in code-unit order of its keys (the stores list rules by id). */
function sortedById<T>(map: Map<string, T>): Map<string, T> {
  return new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
