"use server";
import { z } from "zod";
import { ConflictError, formatIssue, isTtpError, ValidationError } from "../../lib/errors";
import { parseRule } from "../../lib/rules/parse-rule";
import { diffRuleText, type TextDiff } from "../../lib/rules/rule-diff";
import type { ChangeLogEntry, RuleStore } from "../../lib/store/types";
import { authorize, fail, toActionError, type ActionResult } from "../_server/action-result";
import { getServices } from "../_server/services";

const RuleId = z.string().regex(/^[A-Za-z0-9_]{1,128}$/, { message: "Unknown rule id." });
const Seq = z.number().int().positive();

const ListRuleHistoryInput = z.object({
  ruleId: RuleId,
  before: Seq.optional(),
  limit: z.number().int().min(1).max(200).optional(),
});
export type ListRuleHistoryInput = z.input<typeof ListRuleHistoryInput>;

const RevisionRef = z.object({ ruleId: RuleId, seq: Seq });
export type RevisionRef = z.input<typeof RevisionRef>;

const RestoreRevisionInput = RevisionRef.extend({ expectedRevision: z.number().int().min(1) });
export type RestoreRevisionInput = z.input<typeof RestoreRevisionInput>;

/** A change-log entry as the History section shows it: definition snapshots without their YAML. */
export interface HistoryItem extends ChangeLogEntry {
  /** Revision a definition entry produced (null for state and delete entries). */
  revision: number | null;
  /** A definition entry whose text can be compared with the current one and restored. */
  hasText: boolean;
  /** This entry produced the rule's current text and revision. */
  isCurrent: boolean;
}

export interface HistoryPage {
  entries: HistoryItem[];
  /** Pass as `before` for the next (older) page; null when there is none. */
  nextBefore: number | null;
  currentRevision: number | null;
}

export interface RevisionDiff {
  seq: number;
  revision: number;
  currentRevision: number;
  diff: TextDiff;
}

export interface RestoreResult {
  restoredRevision: number;
  revision: number;
}

const PAGE = 20;

function which(revision: number): string {
  return `revision ${revision}`;
}

interface DefinitionSnapshot {
  yaml: string;
  revision: number;
}

function definitionOf(snapshot: unknown): DefinitionSnapshot | null {
  if (snapshot === null || typeof snapshot !== "object") return null;
  const s = snapshot as Record<string, unknown>;
  return typeof s.yaml === "string" && typeof s.revision === "number" ? { yaml: s.yaml, revision: s.revision } : null;
}

function withoutYaml(snapshot: unknown): unknown {
  if (snapshot === null || typeof snapshot !== "object" || !("yaml" in snapshot)) return snapshot;
  const { yaml: _yaml, ...rest } = snapshot as Record<string, unknown>;
  return rest;
}

function badInput(error: z.ZodError): ActionResult<never> {
  return fail("VALIDATION", error.issues[0]?.message ?? "Invalid request.");
}

/** The definition entry with this seq, or a refusal saying why it cannot be used. */
async function findDefinition(store: RuleStore, ruleId: string, seq: number): Promise<{ ok: true; entry: ChangeLogEntry; def: DefinitionSnapshot } | { ok: false; result: ActionResult<never> }> {
  const [entry] = await store.history({ ruleId, limit: 1, before: seq + 1 });
  if (!entry || entry.seq !== seq) return { ok: false, result: fail("NOT_FOUND", `Change #${seq} of ${ruleId} is not in the history.`) };
  const def = entry.kind === "definition" ? definitionOf(entry.after) : null;
  if (!def) return { ok: false, result: fail("VALIDATION", `Change #${seq} of ${ruleId} is not a definition change; only definitions can be compared or restored.`) };
  return { ok: true, entry, def };
}

/** Newest-first page of a rule's definition and state changes. */
export async function listRuleHistoryAction(input: ListRuleHistoryInput): Promise<ActionResult<HistoryPage>> {
  const who = await authorize("viewer");
  if (!who.ok) return who.result;
  const parsed = ListRuleHistoryInput.safeParse(input);
  if (!parsed.success) return badInput(parsed.error);
  const { ruleId, before } = parsed.data;
  const limit = parsed.data.limit ?? PAGE;
  const { store } = await getServices();
  try {
    const [entries, current] = await Promise.all([
      store.history({ ruleId, limit: limit + 1, ...(before !== undefined ? { before } : {}) }),
      store.getRule(ruleId).catch((err: unknown) => {
        if (isTtpError(err) && err.code === "NOT_FOUND") return null;
        throw err;
      }),
    ]);
    const page = entries.slice(0, limit);
    const items: HistoryItem[] = page.map((e) => {
      const def = e.kind === "definition" ? definitionOf(e.after) : null;
      return {
        ...e,
        before: withoutYaml(e.before),
        after: withoutYaml(e.after),
        revision: def?.revision ?? null,
        hasText: def !== null,
        isCurrent: def !== null && current !== null && def.revision === current.revision && def.yaml === current.yamlText,
      };
    });
    return {
      ok: true,
      data: { entries: items, nextBefore: entries.length > limit ? (page.at(-1)?.seq ?? null) : null, currentRevision: current?.revision ?? null },
    };
  } catch (err) {
    return toActionError(err, `Reading the history of ${ruleId}`);
  }
}

/** Line diff from the text of a definition entry to the rule's current text. */
export async function compareRevisionAction(input: RevisionRef): Promise<ActionResult<RevisionDiff>> {
  const who = await authorize("viewer");
  if (!who.ok) return who.result;
  const parsed = RevisionRef.safeParse(input);
  if (!parsed.success) return badInput(parsed.error);
  const { ruleId, seq } = parsed.data;
  const { store } = await getServices();
  try {
    const found = await findDefinition(store, ruleId, seq);
    if (!found.ok) return found.result;
    const current = await store.getRule(ruleId);
    return { ok: true, data: { seq, revision: found.def.revision, currentRevision: current.revision, diff: diffRuleText(found.def.yaml, current.yamlText) } };
  } catch (err) {
    return toActionError(err, `Comparing ${ruleId} with change #${seq}`);
  }
}

/**
 * Stores the text of an older revision as a new revision (audited by the store like any edit);
 * refused when someone changed the rule since the operator's page showed `expectedRevision`.
 */
export async function restoreRevisionAction(input: RestoreRevisionInput): Promise<ActionResult<RestoreResult>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = RestoreRevisionInput.safeParse(input);
  if (!parsed.success) return badInput(parsed.error);
  const { ruleId, seq, expectedRevision } = parsed.data;
  const { store } = await getServices();
  let restored: number | null = null;
  try {
    const found = await findDefinition(store, ruleId, seq);
    if (!found.ok) return found.result;
    restored = found.def.revision;
    const current = await store.getRule(ruleId);
    if (current.revision === expectedRevision && current.yamlText === found.def.yaml) {
      return fail("CONFLICT", `Revision ${restored} has the same text as the current revision ${current.revision}; nothing to restore.`);
    }
    // The store validates again; this only makes sure the old text still names this rule.
    const declared = parseRule(found.def.yaml, { source: which(restored), runTests: false }).rule?.ruleId;
    if (declared !== undefined && declared !== ruleId) return fail("VALIDATION", `Not restored: revision ${restored} declares rule_id ${declared}, not ${ruleId}.`);
    const record = await store.upsertRule(found.def.yaml, { actor: who.user.username, expectedRevision, origin: "dashboard" });
    return { ok: true, data: { restoredRevision: restored, revision: record.revision } };
  } catch (err) {
    const what = restored === null ? `change #${seq}` : which(restored);
    if (err instanceof ConflictError) {
      const now = err.currentRevision === null ? "it no longer exists" : `it is now at revision ${err.currentRevision}`;
      return fail("CONFLICT", `Not restored: someone changed ${ruleId} after you opened it (you saw revision ${expectedRevision}; ${now}). Review the latest history and try again.`);
    }
    if (err instanceof ValidationError) {
      const errors = err.issues.filter((i) => i.severity === "error");
      return fail("VALIDATION", [`Not restored: ${what} no longer validates:`, ...errors.map((i) => formatIssue({ ...i, source: what }))].join("\n"));
    }
    return toActionError(err, `Restoring ${what} of ${ruleId}`);
  }
}
