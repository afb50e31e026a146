import "server-only";
import { z } from "zod";
import { ANALYZER_SPECS } from "../../lib/rules/analyzers";
import { ruleJsonSchema } from "../../lib/rules/schema";
import { KNOWN_SOURCE_KINDS } from "../../lib/rules/types";
import type { EditorAnalyzer, EditorField, EditorSchema } from "../_lib/rule-editor-types";

type JsonSchema = {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  pattern?: string;
};

/** The non-null branch of `anyOf: [X, {type: null}]` (nullable fields). */
function unwrap(s: JsonSchema): JsonSchema {
  if (!s.anyOf) return s;
  const branch = s.anyOf.find((b) => b.type !== "null") ?? s;
  return { ...branch, description: s.description ?? branch.description };
}

function typeText(s: JsonSchema): string {
  const u = unwrap(s);
  switch (u.type) {
    case "integer":
      return u.minimum !== undefined ? `integer ≥ ${u.minimum}` : "integer";
    case "number":
      return u.minimum !== undefined && u.maximum !== undefined ? `number ${u.minimum}–${u.maximum}` : "number";
    case "string":
      return u.pattern ? `string matching ${u.pattern}` : "string";
    case "array": {
      const item = u.items ? unwrap(u.items) : {};
      const what = item.type === "object" ? "mappings" : `${item.type ?? "value"}s`;
      return u.minItems ? `non-empty list of ${what}` : `list of ${what}`;
    }
    case "object":
      return "mapping";
    default:
      return "any value";
  }
}

function walk(schema: JsonSchema, context: string, out: EditorField[]): void {
  const required = new Set(schema.required ?? []);
  for (const [key, raw] of Object.entries(schema.properties ?? {})) {
    const s = unwrap(raw);
    out.push({ context, key, description: s.description ?? "", type: typeText(raw), required: required.has(key) });
    const child = context === "" ? key : `${context}.${key}`;
    if (s.type === "object" && s.properties) walk(s, child, out);
    const item = s.type === "array" && s.items ? unwrap(s.items) : null;
    if (item?.type === "object" && item.properties) walk(item, `${child}[]`, out);
  }
}

let cached: EditorSchema | null = null;

/** Keys, descriptions and types for the editor's completion and hover, derived from the zod schema (never hand-written). */
export function editorSchema(): EditorSchema {
  if (!cached) {
    const fields: EditorField[] = [];
    walk(ruleJsonSchema() as JsonSchema, "", fields);
    const analyzers: EditorAnalyzer[] = [...ANALYZER_SPECS.values()].map((spec) => {
      const params: EditorField[] = [];
      walk(z.toJSONSchema(spec.params, { io: "input", unrepresentable: "any" }) as JsonSchema, "match", params);
      return { kind: spec.kind, family: spec.family, summary: spec.summary, params, reads: [...spec.reads] };
    });
    cached = { fields, sourceKinds: [...KNOWN_SOURCE_KINDS], analyzers };
  }
  return cached;
}
