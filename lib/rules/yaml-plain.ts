// The JavaScript value of a plain rule document, built straight from the `yaml` package's CST.
//
// Why: validating a rule is mostly YAML. For the 10,000 generated rules of `bench -- cli`'s import,
// the package's Composer (Document nodes with ranges, comments and tags) and toJS took 540–1,060 ms,
// this walk takes 120–190 ms (one process, 5 passes each); `parseRule` of the 10,000 went from
// 3.4–4.7 s to 2.3–2.9 s. Rule files are plain: block mappings and sequences, one-line flow
// sequences and mappings, scalars. For such a document this builds the same value as `Composer` +
// `toJS` without the nodes.
//
// How it stays the package's YAML: the lexer, the parser and every scalar's text (quotes, escapes,
// folding, block scalars) are the package's (`CST.resolveAsScalar`) — but for one-line plain and
// single-quoted scalars, which its folding leaves as they are (read here from the source, with the
// package's refusals of a bad first character or a missing quote); a plain scalar's type comes
// from the package's own core-schema tags, chosen as its Composer does (first default tag whose test
// matches, else a string). Anything outside the plain subset — comments inside the document,
// anchors, aliases, tags, directives, explicit keys, more than one document, tabs in indentation,
// multi-line flow collections, keys that are not single-line strings, duplicate keys, `__proto__`
// or any other key Object.prototype has, `<<`, a key over 128 characters, any token this walk does
// not expect, any problem the package reports for a scalar — returns null, and the caller composes
// the document as before (which also reports the problems with their positions). Checks the
// Composer makes on the CST (a key's column against its mapping's, a nested mapping on the key's
// line, the ":" within 1024 characters) are made here and return null too. yaml-plain.test.ts
// compares this with the Composer on every rule file of the repository, generated rules and
// thousands of mutations of them.
import { CST, Document, isScalar, type ScalarTag } from "yaml";

type Token = CST.Token;
type SourceToken = CST.SourceToken;

/** What a walk returns when the document is not plain (the caller composes it). */
const NOT_PLAIN: unique symbol = Symbol("not plain");
type Walked = unknown;

const MAX_KEY_LENGTH = 128;
/** First characters the package refuses for a plain scalar (resolve-flow-scalar's plainValue). */
const BAD_PLAIN_START = ["\t", ",", "%", "|", ">", "@", "`"];

type TestedTag = ScalarTag & { test: RegExp };
let tags: TestedTag[] | null = null;
/** The package's core schema (the Composer's default): its scalar tags, in the order it tries them (read on first use: no work at import time). */
const scalarTags = (): TestedTag[] => (tags ??= new Document(null).schema.tags.filter((t): t is TestedTag => !t.collection && t.default === true && t.test instanceof RegExp));

/** Where each mapping and sequence a walk builds starts in the text (the Composer's `range[0]`). */
type Starts = WeakMap<object, number>;

export interface PlainDocument {
  value: unknown;
  /** Where a mapping or sequence of `value` starts in the text (undefined for anything else). */
  startOf(collection: unknown): number | undefined;
}

/**
 * The value of the single document in `tokens` (the Parser's output for a whole text), or null when
 * the document is not plain (see above).
 */
export function plainDocumentValue(tokens: readonly Token[]): PlainDocument | null {
  let doc: CST.Document | null = null;
  for (const t of tokens) {
    if (t.type === "document") {
      if (doc !== null) return null;
      doc = t;
    } else if (t.type !== "comment" && t.type !== "newline" && t.type !== "space") return null;
    else if (t.type === "space" && t.source.includes("\t")) return null;
  }
  if (doc === null || doc.value === undefined || doc.value.type !== "block-map") return null;
  if (!onlyBlank(doc.start) || !onlyBlank(doc.end)) return null;
  const starts: Starts = new WeakMap();
  const value = blockMap(doc.value, starts);
  if (value === NOT_PLAIN) return null;
  return { value, startOf: (c) => (c !== null && typeof c === "object" ? starts.get(c) : undefined) };
}

/** Spaces (no tab) and newlines only. */
function onlyBlank(tokens: readonly SourceToken[] | undefined): boolean {
  if (tokens === undefined) return true;
  for (const t of tokens) {
    if (t.type === "newline") continue;
    if (t.type !== "space" || t.source.includes("\t")) return false;
  }
  return true;
}

function node(token: Token, starts: Starts): Walked {
  switch (token.type) {
    case "block-map":
      return blockMap(token, starts);
    case "block-seq":
      return blockSeq(token, starts);
    case "flow-collection":
      return flowCollection(token, starts);
    case "scalar":
    case "single-quoted-scalar":
    case "double-quoted-scalar":
    case "block-scalar":
      return scalar(token);
    default:
      return NOT_PLAIN;
  }
}

function scalar(token: CST.FlowScalar | CST.BlockScalar): Walked {
  if (token.type === "block-scalar") {
    for (const p of token.props) if (p.type !== "block-scalar-header" && p.type !== "newline" && (p.type !== "space" || p.source.includes("\t"))) return NOT_PLAIN;
  } else if (!onlyBlank(token.end)) return NOT_PLAIN;
  const src = token.source;
  let text: string;
  if ((token.type === "scalar" || token.type === "single-quoted-scalar") && !src.includes("\n")) {
    // One line: the package's line folding (two RegExps built per call, a third of this walk's
    // time) leaves it as it is, so its value is the source — less the quotes, '' read as '.
    if (token.type === "single-quoted-scalar") {
      if (src.length < 2 || src[src.length - 1] !== "'") return NOT_PLAIN;
      const inner = src.slice(1, -1);
      return inner.includes("''") ? inner.replace(/''/g, "'") : inner;
    }
    // Characters a plain scalar cannot start with (the package reports them).
    if (BAD_PLAIN_START.includes(src[0] ?? "")) return NOT_PLAIN;
    text = src;
  } else {
    let failed = false;
    const r = CST.resolveAsScalar(token, true, () => {
      failed = true;
    });
    if (failed || r === null) return NOT_PLAIN;
    if (token.type !== "scalar") return r.value;
    text = r.value;
  }
  // A plain scalar: typed as the Composer types it (findScalarTagByTest), strings otherwise.
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
    if (bad) return NOT_PLAIN;
    return isScalar(v) ? v.value : v;
  }
  return text;
}

/** A key: a single-line string that cannot mean anything else to a JavaScript object. */
function key(token: Token | null | undefined, indent: number): string | typeof NOT_PLAIN {
  if (token === null || token === undefined) return NOT_PLAIN;
  if (token.type !== "scalar" && token.type !== "single-quoted-scalar" && token.type !== "double-quoted-scalar") return NOT_PLAIN;
  if (indent >= 0 && token.indent !== indent) return NOT_PLAIN;
  if (token.source.includes("\n") || token.source.includes("\r") || token.source.length > MAX_KEY_LENGTH) return NOT_PLAIN;
  const k = scalar(token);
  if (typeof k !== "string" || k === "<<" || k in Object.prototype) return NOT_PLAIN;
  return k;
}

/** `sep` is ":" then blanks; reports whether a newline follows the ":" (null when not so). */
function separator(sep: readonly SourceToken[] | undefined, keyToken: Token): { newline: boolean } | null {
  if (sep === undefined || sep.length === 0) return null;
  const colon = sep[0] as SourceToken;
  if (colon.type !== "map-value-ind" || colon.offset - keyToken.offset > 1024) return null;
  let newline = false;
  for (let i = 1; i < sep.length; i++) {
    const t = sep[i] as SourceToken;
    if (t.type === "newline") newline = true;
    else if (t.type !== "space" || t.source.includes("\t")) return null;
  }
  return { newline };
}

function blockMap(bm: CST.BlockMap, starts: Starts): Walked {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const item of bm.items) {
    if (item.explicitKey || !onlyBlank(item.start)) return NOT_PLAIN;
    const k = key(item.key, bm.indent);
    if (k === NOT_PLAIN || seen.has(k)) return NOT_PLAIN;
    seen.add(k);
    const sep = separator(item.sep, item.key as Token);
    if (sep === null) return NOT_PLAIN;
    let v: Walked = null;
    if (item.value !== undefined) {
      // A collection under a key starts on a line of its own (`k: a: b` is a Composer error).
      if ((item.value.type === "block-map" || item.value.type === "block-seq") && !sep.newline) return NOT_PLAIN;
      v = node(item.value, starts);
      if (v === NOT_PLAIN) return NOT_PLAIN;
    }
    out[k] = v;
  }
  starts.set(out, bm.offset);
  return out;
}

function blockSeq(bs: CST.BlockSequence, starts: Starts): Walked {
  const out: unknown[] = [];
  for (const item of bs.items) {
    let dash = 0;
    for (const t of item.start) {
      if (t.type === "seq-item-ind") dash++;
      else if (t.type !== "newline" && (t.type !== "space" || t.source.includes("\t"))) return NOT_PLAIN;
    }
    if (dash !== 1) return NOT_PLAIN;
    if (item.value === undefined) {
      out.push(null);
      continue;
    }
    const v = node(item.value, starts);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    out.push(v);
  }
  starts.set(out, bs.offset);
  return out;
}

/** `[a, b]` or `{k: v, …}` on one line, of scalars only. */
function flowCollection(fc: CST.FlowCollection, starts: Starts): Walked {
  const isMap = fc.start.type === "flow-map-start";
  if (!isMap && fc.start.type !== "flow-seq-start") return NOT_PLAIN;
  const close = fc.end[0];
  if (close === undefined || close.type !== (isMap ? "flow-map-end" : "flow-seq-end") || !onlyBlank(fc.end.slice(1))) return NOT_PLAIN;
  const list: unknown[] = [];
  const map: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const [i, item] of fc.items.entries()) {
    // Before an item: nothing (the first), or "," — and single spaces.
    let commas = 0;
    for (const t of item.start) {
      if (t.type === "comma") commas++;
      else if (t.type !== "space" || t.source.includes("\t")) return NOT_PLAIN;
    }
    if (commas !== (i === 0 ? 0 : 1) || (i > 0 && (item.start[0] as SourceToken).type !== "comma")) return NOT_PLAIN;
    if (item.value === undefined) return NOT_PLAIN;
    const valueToken = item.value;
    if (valueToken.type !== "scalar" && valueToken.type !== "single-quoted-scalar" && valueToken.type !== "double-quoted-scalar") return NOT_PLAIN;
    // One line: nothing but spaces after the value either.
    if (/[\r\n]/.test(valueToken.source) || valueToken.end?.some((t) => t.type !== "space" || t.source.includes("\t"))) return NOT_PLAIN;
    if (isMap) {
      const k = key(item.key, -1);
      if (k === NOT_PLAIN || seen.has(k)) return NOT_PLAIN;
      seen.add(k);
      const sep = separator(item.sep, item.key as Token);
      // `{k: v}` needs the space after ":" (`{k:v}` is one plain scalar to YAML).
      if (sep === null || sep.newline || item.sep?.length !== 2) return NOT_PLAIN;
      const v = scalar(valueToken);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      map[k] = v;
    } else {
      if (item.key !== undefined || item.sep !== undefined) return NOT_PLAIN;
      const v = scalar(valueToken);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      list.push(v);
    }
  }
  const out = isMap ? map : list;
  starts.set(out, fc.offset);
  return out;
}
