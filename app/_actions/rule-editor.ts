"use server";
import { z } from "zod";
import { ConflictError, isTtpError, ValidationError, type ValidationIssue } from "../../lib/errors";
import { MAX_RULE_BYTES } from "../../lib/rules/parse-rule";
import type { RuleRecord } from "../../lib/store/types";
import type { EditorFailure, EditorResult, SavedRule, ServerRuleVersion } from "../_lib/rule-editor-types";
import { authorize, fail, toActionError } from "../_server/action-result";
import { getDrafts, withDraftBudget } from "../_server/drafts";
import { getServices } from "../_server/services";

const RuleId = z.string().regex(/^[A-Za-z0-9_]{1,128}$/, { message: "Unknown rule id." });
const YamlText = z
  .string({ message: "The rule must be YAML text." })
  .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_RULE_BYTES, { message: `The rule is larger than ${MAX_RULE_BYTES} bytes.` });
const Revision = z.number({ message: "The revision must be a number." }).int().min(0, { message: "The revision must be ≥ 0." });

const SaveRuleInput = z.object({
  /** The rule the page edits; null on /rules/new-rule (the draft's rule_id is created). */
  ruleId: RuleId.nullable(),
  yamlText: YamlText,
  /** Revision the draft was based on (0: the rule must not exist). Required when ruleId is set. */
  expectedRevision: Revision.nullable().optional(),
});
export type SaveRuleInput = z.input<typeof SaveRuleInput>;

const DeleteRuleInput = z.object({
  ruleId: RuleId,
  expectedRevision: Revision,
  reason: z.string().max(1000, { message: "Keep the reason under 1000 characters." }).optional(),
});
export type DeleteRuleInput = z.input<typeof DeleteRuleInput>;

function inputError(error: z.ZodError): EditorFailure {
  return { ok: false, code: "VALIDATION", message: error.issues[0]?.message ?? "Invalid request." };
}

function toVersion(r: RuleRecord): ServerRuleVersion {
  return { ruleId: r.ruleId, yamlText: r.yamlText, revision: r.revision, updatedBy: r.updatedBy, updatedAt: r.updatedAt };
}

/** Where `rule_id:` is written (top-level key), for a marker on it. */
function ruleIdPosition(yamlText: string): { line: number; column: number } {
  const lines = yamlText.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^(rule_id\s*:\s*)\S/.exec(lines[i] ?? "");
    if (m) return { line: i + 1, column: (m[1] as string).length + 1 };
  }
  return { line: 1, column: 1 };
}

function mismatchIssue(yamlText: string, pageRuleId: string, draftRuleId: string): ValidationIssue {
  const at = ruleIdPosition(yamlText);
  return {
    source: pageRuleId,
    path: ["rule_id"],
    line: at.line,
    column: at.column,
    severity: "error",
    message: `this page edits ${pageRuleId}; rule_id cannot change to "${draftRuleId}" here (use New rule to create another rule)`,
  };
}

function draftRuleId(yamlText: string): string | null {
  const m = /^rule_id\s*:\s*['"]?([A-Za-z0-9_]+)['"]?\s*(?:#.*)?$/m.exec(yamlText);
  return m?.[1] ?? null;
}

/**
 * Validates a draft exactly as the stores will (parseRule: schema, patterns, catalog, tests) and
 * returns every problem with line:column for the editor's markers. On a rule's page, a changed
 * rule_id is an error too. Writes nothing.
 */
export async function validateRuleDraftAction(yamlText: string, ruleId?: string | null): Promise<EditorResult<{ issues: ValidationIssue[] }>> {
  const who = await authorize("viewer");
  if (!who.ok) return who.result;
  const text = YamlText.safeParse(yamlText);
  if (!text.success) return inputError(text.error);
  const id = ruleId === undefined || ruleId === null ? null : RuleId.safeParse(ruleId);
  if (id && !id.success) return inputError(id.error);
  const pageRuleId = id ? id.data : null;
  // Off the event loop, rate-limited per user: a hostile draft costs a pool thread, never the dashboard.
  const checked = await withDraftBudget(who.user, async (pool, onStopped) => {
    try {
      return { ok: true, data: await pool.validate(text.data, pageRuleId ?? "(new rule)", { onStopped }) };
    } catch (err) {
      return toActionError(err, "Checking the draft");
    }
  });
  if (!checked.ok) return checked;
  const issues = checked.data.issues;
  const declared = draftRuleId(text.data);
  if (pageRuleId !== null && declared !== null && declared !== pageRuleId) issues.push(mismatchIssue(text.data, pageRuleId, declared));
  return { ok: true, data: { issues } };
}

/**
 * Saves the operator's text verbatim (admin). With ruleId it updates that rule if it is still at
 * expectedRevision (else CONFLICT with the stored version); with ruleId null it creates the
 * draft's rule_id, refusing an id that exists.
 */
export async function saveRuleAction(input: SaveRuleInput): Promise<EditorResult<SavedRule>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = SaveRuleInput.safeParse(input);
  if (!parsed.success) return inputError(parsed.error);
  const { ruleId, yamlText } = parsed.data;
  const creating = ruleId === null;
  if (!creating && (parsed.data.expectedRevision === null || parsed.data.expectedRevision === undefined)) {
    return fail("VALIDATION", "The revision your draft is based on is missing; reload the page.");
  }
  const expectedRevision = creating ? 0 : (parsed.data.expectedRevision as number);

  let checked: { issues: ValidationIssue[]; ruleId: string | null };
  try {
    checked = await getDrafts().pool.validate(yamlText, ruleId ?? "(new rule)");
  } catch (err) {
    return toActionError(err, "Checking the rule");
  }
  const { issues } = checked;
  const rule = checked.ruleId === null ? null : { ruleId: checked.ruleId };
  if (!rule) {
    const errors = issues.filter((i) => i.severity === "error").length;
    return { ok: false, code: "VALIDATION", message: `Not saved: the rule has ${errors} problem${errors === 1 ? "" : "s"} (marked in the editor).`, issues };
  }
  if (!creating && rule.ruleId !== ruleId) {
    return {
      ok: false,
      code: "VALIDATION",
      message: `Not saved: this page edits ${ruleId}, but the draft's rule_id is ${rule.ruleId}. Use New rule to create another rule.`,
      issues: [...issues, mismatchIssue(yamlText, ruleId, rule.ruleId)],
    };
  }

  const { store } = await getServices();
  try {
    const rec = await store.upsertRule(yamlText, { actor: who.user.username, expectedRevision, origin: "dashboard" });
    return {
      ok: true,
      data: { ...toVersion(rec), created: creating, unchanged: !creating && rec.revision === expectedRevision },
    };
  } catch (err) {
    if (err instanceof ConflictError) {
      if (creating) {
        return { ok: false, code: "CONFLICT", message: `Rule ${rule.ruleId} already exists (revision ${err.currentRevision ?? "?"}). Open it to edit it, or choose another rule_id.` };
      }
      let current: ServerRuleVersion | null = null;
      try {
        current = toVersion(await store.getRule(rule.ruleId));
      } catch (readErr) {
        if (!(isTtpError(readErr) && readErr.code === "NOT_FOUND")) return toActionError(readErr, `Reading ${rule.ruleId} after a conflict`);
      }
      const message = current
        ? `${rule.ruleId} was saved by ${current.updatedBy ?? "someone else"} (revision ${current.revision}) while you edited revision ${expectedRevision}.`
        : `${rule.ruleId} was deleted while you edited it.`;
      return { ok: false, code: "CONFLICT", message, current };
    }
    if (err instanceof ValidationError) {
      return { ok: false, code: "VALIDATION", message: `Not saved: ${err.issues.find((i) => i.severity === "error")?.message ?? err.message}`, issues: err.issues };
    }
    return toActionError(err, `Saving ${rule.ruleId}`);
  }
}

/** Deletes a rule (admin) if it is still at expectedRevision; recorded in the change log with the reason. */
export async function deleteRuleAction(input: DeleteRuleInput): Promise<EditorResult<{ ruleId: string }>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = DeleteRuleInput.safeParse(input);
  if (!parsed.success) return inputError(parsed.error);
  const { ruleId, expectedRevision } = parsed.data;
  const reason = parsed.data.reason?.trim() || undefined;
  const { store, env } = await getServices();
  if (env.TTP_REQUIRE_REASON && !reason) return fail("VALIDATION", "A reason is required.", { reason: "A reason is required." });
  try {
    await store.deleteRule(ruleId, { actor: who.user.username, expectedRevision, ...(reason ? { reason } : {}) });
    return { ok: true, data: { ruleId } };
  } catch (err) {
    if (err instanceof ConflictError) {
      return fail("CONFLICT", `Not deleted: ${ruleId} changed since you opened it (now revision ${err.currentRevision ?? "?"}). Review the new version, then delete again.`);
    }
    if (isTtpError(err) && err.code === "NOT_FOUND") return fail("NOT_FOUND", `${ruleId} no longer exists; someone else deleted it.`);
    return toActionError(err, `Deleting ${ruleId}`);
  }
}
