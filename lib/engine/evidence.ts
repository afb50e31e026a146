// The evidence object of a tag: the payload values of a fixed list of keys (a rule's
// evidence_fields, then for command events uid, user, src, pwd), in that order, absent ones
// omitted (SPEC §4.1). It is built for nearly every tag, so per key list the engine uses an
// extractor compiled to plain property accesses with constant names (one object literal when every
// key is present). The generic loop over dynamic keys makes each load and store megamorphic and
// cost ≈ 0.15–0.25 µs per tag on the engine bench; the compiled form costs what an object literal
// costs. Key names only ever appear in the generated source as JSON string literals (inert data,
// whatever the rule author wrote); where code generation is not allowed, the generic loop is used.
//
// A payload whose own keys are exactly the list, in its order (every command event in DECNET's
// shape: command_text, uid, user, src, pwd), is returned as its own evidence rather than copied:
// the two serialise identically, and a JSON Lines writer that holds the payload's input bytes
// (lib/worker/tag-lines.ts) copies them instead of serialising the evidence again. So an evidence
// object may be the event's payload itself: both are read-only once evaluated.

export type Payload = Readonly<Record<string, unknown>>;

/** Builds the evidence of one list of keys. One instance per distinct list (see evidenceExtractor). */
export interface EvidenceExtractor {
  readonly keys: readonly string[];
  /** The evidence; the payload itself when its own keys are exactly `keys` in order (treat both as read-only). */
  build(payload: Payload): Record<string, unknown>;
}

/**
 * The same string, internalized: V8 looks up property keys by identity, and keys read from YAML
 * or JSON values are not internalized, which turns every keyed access with them into a string
 * table lookup. A property key taken back from an object is the internalized copy.
 */
export function internKey(key: string): string {
  return Object.keys({ [key]: true })[0] ?? key;
}

/** The evidence with a loop over the keys (assignment semantics, like the compiled form). */
export function buildEvidenceGeneric(keys: readonly string[], payload: Payload): Record<string, unknown> {
  const evidence: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = payload[k];
    if (v !== undefined) evidence[k] = v;
  }
  return evidence;
}

/** Generated source of a builder for `keys` (exported for tests). */
export function evidenceSource(keys: readonly string[]): string {
  const lit = keys.map((k) => JSON.stringify(k));
  const lines = ['"use strict";'];
  lit.forEach((l, i) => lines.push(`const v${i} = p[${l}];`));
  // An object literal gives the final shape in one allocation. Not with "__proto__": as a literal
  // key it would set the prototype where the assignment below goes through the accessor the same
  // way the generic loop does — the two must agree.
  if (keys.length > 0 && !keys.includes("__proto__")) {
    lines.push(`if (${lit.map((_, i) => `v${i} !== undefined`).join(" && ")}) {`);
    // A payload that has exactly these keys, in this order, is its own evidence (see the top of the file).
    lines.push("const k = Object.keys(p);", `if (k.length === ${keys.length} && ${lit.map((l, i) => `k[${i}] === ${l}`).join(" && ")}) return p;`);
    lines.push(`return { ${lit.map((l, i) => `${l}: v${i}`).join(", ")} };`, "}");
  }
  lines.push("const e = {};");
  lit.forEach((l, i) => lines.push(`if (v${i} !== undefined) e[${l}] = v${i};`));
  lines.push("return e;");
  return lines.join("\n");
}

function compile(keys: readonly string[]): ((payload: Payload) => Record<string, unknown>) | null {
  try {
    // Key names enter the source as JSON string literals only (see the top of this file).
    return new Function("p", evidenceSource(keys)) as (payload: Payload) => Record<string, unknown>;
  } catch {
    return null; // code generation from strings disallowed (e.g. --disallow-code-generation-from-strings)
  }
}

const extractors = new Map<string, EvidenceExtractor>();
/** Distinct key lists are few (rules agree on their evidence); past this many, new ones are not kept. */
const MAX_EXTRACTORS = 10_000;

/** The extractor of `keys` (deduplicated, first occurrence kept); the same object for equal lists. */
export function evidenceExtractor(keys: readonly string[]): EvidenceExtractor {
  const list: string[] = [];
  // Payloads are plain objects (JSON.parse, YAML): a key that Object.prototype has could only ever
  // read an inherited value (a function, or the prototype itself), never payload data. Validation
  // refuses such names; a definition stored before that is filtered here, at no per-event cost.
  for (const k of keys) if (!list.includes(k) && !(k in Object.prototype)) list.push(internKey(k));
  const id = JSON.stringify(list);
  let x = extractors.get(id);
  if (x === undefined) {
    const frozen = Object.freeze(list);
    const compiled = compile(frozen);
    x = Object.freeze({ keys: frozen, build: compiled ?? ((payload: Payload) => buildEvidenceGeneric(frozen, payload)) });
    if (extractors.size < MAX_EXTRACTORS) extractors.set(id, x);
  }
  return x;
}
