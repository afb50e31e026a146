// The JavaScript value of a plain rule document, read with js-yaml instead of the `yaml` package.
//
// Why: validating a rule is mostly YAML. Per document of the 10,000 generated rules that
// `bench -- cli` imports, the `yaml` package's lexer (with our nesting limits) and parser took
// ≈ 75 µs and a walk of its CST ≈ 15 µs more (the Composer, for positions, ≈ 100 µs); js-yaml 4's
// loader takes ≈ 12 µs for the same value. So parseRule reads a document with js-yaml first and
// uses that value only when the document is plain and checkRule finds no issue at all; anything
// else — any issue, which needs a line:column — goes through the `yaml` package exactly as before,
// which stays the authority on errors and their positions.
//
// How it stays the `yaml` package's YAML (yaml-quick.test.ts compares the two on every rule file of
// the repository, generated rules and thousands of mutations of them):
// - plain scalars are typed by the `yaml` package's own core-schema tags (its Composer's default),
//   first tag whose test matches, as its Composer does; quoted and block scalars are strings;
// - refused (the caller then uses the `yaml` package): anchors and aliases, explicit tags,
//   directives, explicit `?` keys, tabs, keys that are not single-line strings (a null, number,
//   boolean or collection key: js-yaml turns them into strings otherwise than the `yaml` package),
//   keys longer than 128 characters, `<<`, `__proto__` and every other key Object.prototype has,
//   duplicate keys (js-yaml's own error), nesting deeper than QUICK_MAX_DEPTH, more than
//   QUICK_MAX_NODES values or QUICK_MAX_CHARS characters (stricter than yaml-limits.ts: anything
//   near the limits is measured by the lexer, which reports it), and anything js-yaml refuses;
// - the start offset of every mapping and sequence is recorded as it opens (the Composer's
//   `range[0]`), for the positions of `tests:` examples.
import { Document, isScalar, type ScalarTag } from "yaml";
import { FAILSAFE_SCHEMA, load, Type, type LoadOptions } from "js-yaml";

/** A document's value and where its collections start. */
export interface PlainDocument {
  value: unknown;
  /** Where a mapping or sequence of `value` starts in the text (the Composer's `range[0]`; undefined for anything else). */
  startOf(collection: unknown): number | undefined;
}

/** Nesting and values beyond which the document is left to the `yaml` package (rules nest 4–6 levels, hold a few hundred values). */
export const QUICK_MAX_DEPTH = 32;
export const QUICK_MAX_NODES = 5_000;
/** Longer texts (rule files are 1–3 KiB; the limit is 1 MiB) go to the `yaml` package directly: a hostile draft is never read twice at length. */
export const QUICK_MAX_CHARS = 64 * 1024;
const MAX_KEY_LENGTH = 128;

/** Thrown (and caught) to leave a document to the `yaml` package. */
class NotQuick extends Error {}
const notQuick = (): never => {
  throw new NotQuick("not plain");
};

type TestedTag = ScalarTag & { test: RegExp };
let tags: TestedTag[] | null = null;
/** The `yaml` package's core schema scalar tags, in the order its Composer tries them (read on first use). */
const scalarTags = (): TestedTag[] => (tags ??= new Document(null).schema.tags.filter((t): t is TestedTag => !t.collection && t.default === true && t.test instanceof RegExp));

/** A plain scalar's value as the `yaml` package's Composer types it (the first core tag whose test matches; else the string). */
function coreValue(text: string): unknown {
  for (const tag of scalarTags()) {
    if (!tag.test.test(text)) continue;
    let bad = false;
    const v: unknown = tag.resolve(
      text,
      () => {
        bad = true;
      },
      {} as never,
    );
    if (bad) notQuick();
    return isScalar(v) ? v.value : v;
  }
  return text;
}

/**
 * js-yaml's implicit type for plain scalars: the `yaml` package's core typing. Never matches a
 * scalar with an explicit tag (js-yaml passes the tag then), so `!<…>` cannot reach it.
 */
const CORE_TAG = "tag:ttp-rule-console,2026:yaml-core";
const coreType = new Type(CORE_TAG, {
  kind: "scalar",
  resolve: (...args: unknown[]) => args.length === 1 && typeof args[0] === "string",
  construct: (data: string) => coreValue(data),
});

let schema: ReturnType<typeof FAILSAFE_SCHEMA.extend> | null = null;
const quickSchema = (): ReturnType<typeof FAILSAFE_SCHEMA.extend> => (schema ??= FAILSAFE_SCHEMA.extend({ implicit: [coreType] }));

/**
 * Left to the `yaml` package: a directive line, a document marker with text right after it, an
 * explicit `?` key (block or flow), and a `#` right after a closing quote or bracket (a comment it
 * requires a space before, js-yaml does not).
 * Matches inside quoted text too: such a document is only read the slower way.
 */
const REFUSED_TEXT = /^%|^(?:---|\.\.\.)(?![ \r\n]|$)|^[ -]*\?(?:[ \r\n]|$)|[[{,]\s*\?(?:[ \r\n]|$)|['"\]}]#/m;

/** A carriage return not followed by a line feed: a line break to js-yaml, not to the `yaml` package. */
const LONE_CR = /\r(?!\n)/;

/** What js-yaml's loader state shows a listener (loader.js: position, kind, result, tag, anchor). */
interface LoaderState {
  position: number;
  input: string;
  kind: string | null;
  result: unknown;
  tag: string | null;
  anchor: string | null;
}

/**
 * The value of `text` read with js-yaml, or null when the document is not plain (see above) or
 * js-yaml refuses it. Never throws.
 */
export function quickDocumentValue(text: string): PlainDocument | null {
  if (text.length > QUICK_MAX_CHARS || text.includes("\t") || LONE_CR.test(text) || text.indexOf("\uFEFF", 1) !== -1 || REFUSED_TEXT.test(text)) return null;
  const opened: number[] = [];
  const starts = new WeakMap<object, number>();
  let nodes = 0;
  const listener = (event: "open" | "close", s: LoaderState): void => {
    if (event === "open") {
      if (++nodes > QUICK_MAX_NODES) notQuick();
      opened.push(s.position);
      return;
    }
    const start = opened.pop() as number;
    if (s.anchor !== null) notQuick();
    if (s.tag !== null && s.tag !== "?" && s.tag !== CORE_TAG) notQuick();
    const v = s.result;
    // Flow scalars and flow collections on one line only: the two packages fold and indent
    // continuation lines differently (a block scalar, `|` or `>`, is read the same by both).
    const first = contentStart(s.input, start);
    const c = s.input.charCodeAt(first);
    if (c !== 124 && c !== 62 && (s.kind === "scalar" || c === 91 || c === 123) && s.input.slice(first, s.position).includes("\n")) notQuick();
    const isKey = followedByColon(s.input, s.position);
    if (v !== null && typeof v === "object") {
      if (isKey) notQuick();
      starts.set(v, start);
    } else if (isKey && (typeof v !== "string" || v.length > MAX_KEY_LENGTH || v === "<<" || v in Object.prototype)) {
      // A key must be a string that means the same to the `yaml` package and to an object (one line: checked above).
      notQuick();
    }
  };
  let value: unknown;
  try {
    // js-yaml's types define `listener` but not its argument; the loader passes its state.
    value = load(text, { schema: quickSchema(), maxDepth: QUICK_MAX_DEPTH, listener } as unknown as LoadOptions);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  return { value, startOf: (c) => (c !== null && typeof c === "object" ? starts.get(c) : undefined) };
}

/** Where a node opened at `p` starts: past spaces, line breaks and comments (js-yaml opens a node before seeking it). */
function contentStart(input: string, p: number): number {
  let i = p;
  for (;;) {
    const c = input.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13) i++;
    else if (c === 35 && (i === 0 || input.charCodeAt(i - 1) === 32 || input.charCodeAt(i - 1) === 10)) {
      const nl = input.indexOf("\n", i);
      if (nl === -1) return input.length;
      i = nl + 1;
    } else return i;
  }
}

/** Whether the node that ends at `p` is followed by a mapping's `:` (spaces between): it was a key. */
function followedByColon(input: string, p: number): boolean {
  let i = p;
  while (input.charCodeAt(i) === 32) i++;
  if (input.charCodeAt(i) !== 58) return false;
  const next = input.charCodeAt(i + 1);
  // `:` then a space, a line break, the end, or (in flow) a flow indicator.
  return Number.isNaN(next) || next === 32 || next === 10 || next === 13 || next === 44 || next === 93 || next === 125;
}
