import type { ErrorCode, ValidationIssue } from "../../lib/errors";

/** One key the editor can complete and explain, derived from the rule's JSON schema. */
export interface EditorField {
  /** Where the key lives: "" (top level), "match", "emits[]", "tests[]", "tests[].event", … */
  context: string;
  key: string;
  description: string;
  /** Short type text, e.g. "integer ≥ 1", "list of strings". */
  type: string;
  required: boolean;
}

/** One `lifter:` kind the engine evaluates, for completion and hover (from its zod parameter schema). */
export interface EditorAnalyzer {
  kind: string;
  family: string;
  summary: string;
  /** Its parameters under `match:` (context "match"). */
  params: EditorField[];
  /** Payload fields it reads. */
  reads: string[];
}

/** What the editor's completion and hover know about rule documents (small; passed as a prop). */
export interface EditorSchema {
  fields: EditorField[];
  sourceKinds: string[];
  analyzers: EditorAnalyzer[];
}

/** The bundled ATT&CK catalog, compact, as /api/attack-catalog serves it. */
export interface AttackCatalogPayload {
  version: string;
  /** [id, name] */
  tactics: [string, string][];
  /** [id, name, tactic ids comma-separated] for techniques and sub-techniques */
  techniques: [string, string, string][];
}

/** The stored version of a rule someone else saved (shown in the conflict dialog). */
export interface ServerRuleVersion {
  ruleId: string;
  yamlText: string;
  revision: number;
  updatedBy: string | null;
  updatedAt: string;
}

export interface SavedRule {
  ruleId: string;
  revision: number;
  yamlText: string;
  updatedBy: string | null;
  updatedAt: string;
  created: boolean;
  /** The text equalled the stored one: nothing was written, the revision is unchanged. */
  unchanged: boolean;
}

export type EditorFailure = {
  ok: false;
  code: ErrorCode | "UNAUTHENTICATED";
  message: string;
  fieldErrors?: Record<string, string>;
  /** VALIDATION: every problem of the draft, with line:column (markers). */
  issues?: ValidationIssue[];
  /** CONFLICT on an existing rule: what is stored now (null when it was deleted meanwhile). */
  current?: ServerRuleVersion | null;
};

export type EditorResult<T> = { ok: true; data: T } | EditorFailure;
