import { z } from "zod";

/**
 * The one definition of a rule document (SPEC §1.1). The parser, the stores, the CLI, the server
 * actions and the editor's JSON schema (ruleJsonSchema) all derive from it.
 */
export const RULE_ID_RE = /^[A-Za-z0-9_]+$/;
export const TECHNIQUE_RE = /^T\d{4}$/;
export const SUB_TECHNIQUE_RE = /^T\d{4}\.\d{3}$/;
export const TACTIC_RE = /^TA\d{4}$/;
export const ANALYZER_KIND_RE = /^lifter:[A-Za-z0-9_.-]+$/;
/** Names that reach an object's prototype machinery rather than a payload value (__proto__, constructor, prototype, toString…). */
export function isForbiddenEvidenceKey(key: string): boolean {
  return key === "prototype" || key in Object.prototype;
}

export const RuleEmit = z
  .looseObject({
    technique_id: z
      .string({ message: "technique_id is required (e.g. T1059)" })
      .regex(TECHNIQUE_RE, { message: 'technique_id must look like "T1059" (T and 4 digits)' })
      .describe("ATT&CK technique id, e.g. T1059"),
    sub_technique_id: z
      .string()
      .regex(SUB_TECHNIQUE_RE, { message: 'sub_technique_id must look like "T1059.004"' })
      .nullable()
      .optional()
      .describe("ATT&CK sub-technique id extending technique_id, e.g. T1059.004"),
    tactic: z
      .string({ message: "tactic is required (e.g. TA0002)" })
      .regex(TACTIC_RE, { message: 'tactic must look like "TA0002" (TA and 4 digits)' })
      .describe("ATT&CK tactic id, e.g. TA0002"),
    confidence: z
      .number({ message: "confidence must be a number between 0 and 1" })
      .min(0, { message: "confidence must be ≥ 0" })
      .max(1, { message: "confidence must be ≤ 1" })
      .describe("Confidence of the tag, 0 to 1"),
  })
  .superRefine((e, ctx) => {
    if (e.sub_technique_id && !e.sub_technique_id.startsWith(`${e.technique_id}.`)) {
      ctx.addIssue({
        code: "custom",
        path: ["sub_technique_id"],
        message: `sub_technique_id ${e.sub_technique_id} must extend technique_id ${e.technique_id} (e.g. ${e.technique_id}.001)`,
      });
    }
  });
export type RuleEmit = z.infer<typeof RuleEmit>;

export const RuleMatch = z
  .looseObject({
    pattern: z.string().min(1, { message: "pattern must not be empty" }).optional().describe("Python `re` pattern, searched (unanchored)"),
    field: z.string().min(1, { message: "field must not be empty" }).optional().describe("Payload field to search; defaults by source kind"),
    kind: z
      .string()
      .regex(ANALYZER_KIND_RE, { message: 'analyzer kind must look like "lifter:<name>"' })
      .optional()
      .describe('Analyzer match, "lifter:<name>"; other keys are its parameters'),
  })
  .superRefine((m, ctx) => {
    const hasPattern = m.pattern !== undefined;
    const hasKind = m.kind !== undefined;
    if (hasPattern === hasKind) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: hasPattern
          ? "match has both pattern and kind: use either {pattern, field?} or {kind: lifter:<name>, …}"
          : "match needs either pattern (a regex) or kind (lifter:<name>)",
      });
    }
  })
  .describe("Either {pattern, field?} or {kind: 'lifter:<name>', …params}");
export type RuleMatch = z.infer<typeof RuleMatch>;

export const RuleTestExample = z.object({
  event: z.object({
    source_kind: z.string().min(1).optional(),
    payload: z.record(z.string(), z.unknown(), { message: "payload must be a mapping of field names to values" }),
  }),
  expect: z.array(
    z.string().regex(/^T\d{4}(?:\.\d{3})?$/, { message: 'expect entries are technique ids like "T1059" or "T1059.004"' }),
    { message: "expect must be a list of technique ids ([] for a negative example)" },
  ),
});

export const RuleDocument = z
  .looseObject({
    rule_id: z
      .string({ message: "rule_id is required (letters, digits, underscores)" })
      .regex(RULE_ID_RE, { message: "rule_id may only contain letters, digits and underscores" })
      .describe("Unique id; the file name stem and a topic segment"),
    rule_version: z
      .number({ message: "rule_version is required: an integer ≥ 1" })
      .int({ message: "rule_version must be an integer" })
      .min(1, { message: "rule_version must be ≥ 1" })
      .describe("Author's version; part of the tag identity"),
    name: z.string({ message: "name is required (a short slug)" }).min(1, { message: "name must not be empty" }).describe("Short slug"),
    description: z
      .string({ message: "description must be text" })
      .nullable()
      .optional()
      .transform((d) => d ?? "")
      .describe("Free text, kept verbatim"),
    applies_to: z
      .array(z.string({ message: "each source kind must be text" }).min(1), {
        message: "applies_to is required: a list of source kinds such as [command]",
      })
      .min(1, { message: "applies_to must list at least one source kind (an empty list would silently disable the rule)" })
      .describe("Source kinds the rule applies to"),
    match: RuleMatch,
    emits: z
      .array(RuleEmit, { message: "emits is required: a list of {technique_id, tactic, confidence}" })
      .min(1, { message: "emits must have at least one entry" })
      .describe("Tags emitted on a match"),
    evidence_fields: z
      .array(
        z
          .string({ message: "each evidence field must be text" })
          .refine((k) => !isForbiddenEvidenceKey(k), { message: "not a payload key: it names a built-in property of every object (__proto__, constructor, toString…); remove it" }),
        { message: "evidence_fields must be a list of payload keys" },
      )
      .nullable()
      .optional()
      .transform((v) => v ?? [])
      .describe("Payload keys copied into each tag"),
    tests: z
      .array(RuleTestExample, { message: "tests must be a list of {event, expect}" })
      .max(200, { message: "at most 200 tests: examples per rule (the test panel runs up to 1,000 pasted events)" })
      .optional()
      .describe("Examples run by ttp validate and on save"),
  })
  .describe("TTP rule (DECNET format)");
export type RuleDocument = z.infer<typeof RuleDocument>;

/** JSON Schema of a rule document for the editor (derived, never hand-written). */
export function ruleJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RuleDocument, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
