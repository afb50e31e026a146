// What the draft pool and its threads exchange (kept apart so a thread never loads the pool).
import type { ValidationIssue } from "../errors";
import type { RuleState } from "../state/semantics";
import type { TestDraftResult } from "../engine/test-draft";

/** Issues a validation returns at most (a 1 MiB draft can hold tens of thousands). */
export const MAX_ISSUES = 200;

/** What a draft thread runs: parseRule of the editor's text, or testDraft of it against events. */
export type DraftJob =
  | { type: "validate"; yamlText: string; source: string }
  | { type: "test"; draftYaml: string; eventsText: string; useExamples: boolean; nowMs?: number };

export interface ValidateDraftResult {
  /** Errors and warnings with line:column (at most MAX_ISSUES, then one "… more" issue). */
  issues: ValidationIssue[];
  /** The draft's rule_id when it is valid, else null. */
  ruleId: string | null;
}

export type DraftJobResult = ValidateDraftResult | TestDraftResult;

export type ToDraftThread = { type: "job"; id: number; job: DraftJob } | { type: "state"; id: number; state: RuleState | null; error: string | null };
export type FromDraftThread =
  | { type: "ready" }
  | { type: "done"; id: number; result: DraftJobResult }
  | { type: "failed"; id: number; message: string }
  | { type: "get-state"; id: number; ruleId: string };

