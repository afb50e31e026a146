import { Composer, type CST, isMap, isNode, isPair, isScalar, isSeq, LineCounter, Parser, type Document, type Node } from "yaml";
import { findTactic, findTechnique } from "../attack/catalog";
import type { ValidationIssue } from "../errors";
import { ValidationError } from "../errors";
import { defaultState, type RuleState } from "../state/semantics";
import { Engine } from "../engine/engine";
import { explainAnalyzer } from "../engine/analyzers";
import { withState } from "./compiled";
import { fieldFor } from "./match-event";
import { analyzerSpec, ANALYZER_SPECS } from "./analyzers";
import { compilePattern, patternRepeatUnits } from "./pattern";
import { lexWithinLimits } from "./yaml-limits";
import { quickDocumentValue, type PlainDocument } from "./yaml-quick";
import { RuleDocument } from "./schema";
import type { CompiledRule, Emit, MatchSpec, PatternMatcher, RuleTestCase } from "./types";
import { KNOWN_SOURCE_KINDS } from "./types";

export interface ParseRuleOptions {
  /** File path or rule id used in issue locations. */
  source: string;
  /** When set (a file stem), rule_id must equal it. */
  expectedRuleId?: string;
  /** State to stamp into the compiled rule (default state when absent). */
  state?: RuleState;
  /** Run the rule's `tests:` examples (default true). */
  runTests?: boolean;
}

export interface ParseRuleResult {
  /** Non-null exactly when there is no error-severity issue. */
  rule: CompiledRule | null;
  /** Errors and warnings, all at once, with line:column. */
  issues: ValidationIssue[];
}

/** Rule files are small; a megabyte is a mistake (or an attack on the editor endpoint). */
export const MAX_RULE_BYTES = 1024 * 1024;
const KNOWN_KINDS: ReadonlySet<string> = new Set(KNOWN_SOURCE_KINDS);
/** Regex lists in analyzer parameters (DECNET's longest has 5). */
export const MAX_PATTERNS_PER_LIST = 256;
/** All the regexes of one rule together: characters, and counted-repetition units (see pattern.ts). */
export const MAX_RULE_PATTERN_CHARS = 64 * 1024;
export const MAX_RULE_REPEAT_UNITS = 4000;
/** Problems reported per document: past this many errors the rest are summarised. */
export const MAX_ISSUES = 200;
const EMIT_KEYS = new Set(["technique_id", "sub_technique_id", "tactic", "confidence"]);
type Path = (string | number)[];

/** Parses and validates one rule document (SPEC §1). Pure; never throws: every failure is an issue with a position. */
export function parseRule(yamlText: string, options: ParseRuleOptions): ParseRuleResult {
  try {
    return capIssues(parseRuleUnguarded(yamlText, options), options.source);
  } catch (err) {
    // A defect (ours or a library's) on some input: report it on the document rather than crash the caller.
    const message = err instanceof Error ? err.message : String(err);
    return { rule: null, issues: [{ source: options.source, path: [], line: 1, column: 1, message: `the rule could not be validated: ${firstLine(message)}`, severity: "error" }] };
  }
}

/** At most MAX_ISSUES errors, then one line saying how many more (a hostile draft can have 100,000). */
function capIssues(result: ParseRuleResult, source: string): ParseRuleResult {
  const errors = result.issues.filter((i) => i.severity === "error").length;
  if (result.issues.length <= MAX_ISSUES) return result;
  const kept = result.issues.slice(0, MAX_ISSUES);
  const more = result.issues.length - MAX_ISSUES;
  kept.push({ source, path: [], line: 1, column: 1, message: `…and ${more} more problem${more === 1 ? "" : "s"} (${errors} errors in all)`, severity: errors > 0 ? "error" : "warning" });
  return { rule: result.rule, issues: kept };
}

function parseRuleUnguarded(yamlText: string, options: ParseRuleOptions): ParseRuleResult {
  const source = options.source;
  const issues: ValidationIssue[] = [];
  const push = (path: Path, line: number, column: number, message: string, severity: "error" | "warning" = "error"): void => {
    issues.push({ source, path, line, column, message, severity });
  };

  if (typeof yamlText !== "string") {
    push([], 1, 1, "rule text must be a string");
    return { rule: null, issues };
  }
  if (Buffer.byteLength(yamlText, "utf8") > MAX_RULE_BYTES) {
    push([], 1, 1, `rule text is larger than ${MAX_RULE_BYTES} bytes`);
    return { rule: null, issues };
  }

  // A plain document (nearly every rule file) is read with js-yaml and checked without positions;
  // that result is used only when it is complete and without a single issue — any problem is found
  // again below through the `yaml` package, with its position (see yaml-quick.ts).
  const quick = quickDocumentValue(yamlText);
  if (quick !== null) {
    try {
      const fast = checkRule(yamlText, options, quick.value, withoutPositions(quick, yamlText));
      if (fast.rule !== null && fast.issues.length === 0) return fast;
    } catch {
      // Needed a position (an issue) or failed: composed below.
    }
  }

  const lexed = lexWithinLimits(yamlText);
  if (lexed.problem !== null) {
    const at = positionOf(yamlText, lexed.problem.offset);
    push([], at.line, at.column, lexed.problem.message);
    return { rule: null, issues };
  }

  const lineCounter = new LineCounter();
  // Duplicate keys are found below in linear time: the package's uniqueKeys check compares every
  // key of a mapping with every other (8,000 keys took 1.1 s).
  const list = parseTokens(lexed.tokens, lineCounter);
  if (list.length === 0) {
    push([], 1, 1, "the file is empty: a rule needs rule_id, rule_version, name, applies_to, match and emits");
    return { rule: null, issues };
  }
  const doc = list[0] as Document.Parsed;
  for (const extra of list.slice(1)) {
    const at = lineCounter.linePos(extra.range[0]);
    push([], at.line, at.col, "only one YAML document per rule file: remove the extra '---' document");
  }
  for (const err of doc.errors) {
    const at = lineCounter.linePos(err.pos[0]);
    push([], at.line, at.col, `YAML: ${firstLine(err.message)}`);
  }
  duplicateKeys(doc.contents, (offset, key) => {
    const at = lineCounter.linePos(offset);
    push([], at.line, at.col, `YAML: Map keys must be unique ("${key.length > 60 ? `${key.slice(0, 60)}…` : key}" appears twice)`);
  });
  if (issues.length > 0) return { rule: null, issues };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    push([], 1, 1, `YAML: ${err instanceof Error ? firstLine(err.message) : String(err)}`);
    return { rule: null, issues };
  }
  return checkRule(yamlText, options, data, {
    issues,
    push,
    // Past MAX_ISSUES problems the rest are only counted (capIssues): locating each costs a tree walk.
    locate: (path: Path): { line: number; column: number } => (issues.length >= MAX_ISSUES ? { line: 1, column: 1 } : locatePath(doc, lineCounter, path)),
    doc,
    lineCounter,
  });
}

type Push = (path: Path, line: number, column: number, message: string, severity?: "error" | "warning") => void;

/** Where checkRule reports to, and how it finds positions. */
interface CheckContext {
  issues: ValidationIssue[];
  push: Push;
  locate: (path: Path) => { line: number; column: number };
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

class NeedsPositions extends Error {}
const needsPositions = (): never => {
  throw new NeedsPositions("a position is needed");
};

/**
 * For a plain document's value: the first issue throws (the document is then composed and checked
 * again, so that every issue has the Composer's position); the only positions given are those of
 * the `tests:` examples, the start of each example's mapping — what locatePath gives for them.
 */
function withoutPositions(plain: PlainDocument, text: string): CheckContext {
  return {
    issues: [],
    push: needsPositions,
    locate: (path) => {
      if (path.length === 2 && path[0] === "tests" && typeof path[1] === "number") {
        const tests = (plain.value as Record<string, unknown>).tests;
        const start = Array.isArray(tests) ? plain.startOf(tests[path[1]]) : undefined;
        if (start !== undefined) return positionOf(text, start);
      }
      return needsPositions();
    },
    get doc(): Document.Parsed {
      return needsPositions();
    },
    get lineCounter(): LineCounter {
      return needsPositions();
    },
  };
}

/** The rule document's value checked against the schema, the catalog, its pattern or analyzer, and its `tests:`. */
function checkRule(yamlText: string, options: ParseRuleOptions, data: unknown, ctx: CheckContext): ParseRuleResult {
  const { issues, push, locate } = ctx;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    push([], 1, 1, "a rule must be a YAML mapping (key: value lines), not a list or a scalar");
    return { rule: null, issues };
  }

  const parsed = RuleDocument.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
      const at = locate(path);
      push(path, at.line, at.column, issue.message);
    }
  }

  // Checks the schema cannot express (they need positions or the catalog), run even when the
  // schema failed elsewhere so every problem is reported at once.
  const raw = data as Record<string, unknown>;
  const ruleId = typeof raw.rule_id === "string" ? raw.rule_id : null;
  if (options.expectedRuleId !== undefined && ruleId !== null && ruleId !== options.expectedRuleId) {
    const at = locate(["rule_id"]);
    push(["rule_id"], at.line, at.column, `rule_id "${ruleId}" must equal the file name stem "${options.expectedRuleId}"`);
  }
  if (Array.isArray(raw.applies_to)) {
    raw.applies_to.forEach((k, i) => {
      if (typeof k === "string" && !KNOWN_KINDS.has(k)) {
        const at = locate(["applies_to", i]);
        push(["applies_to", i], at.line, at.column, `unknown source kind "${k}" (known: ${KNOWN_SOURCE_KINDS.join(", ")})`, "warning");
      }
    });
  }
  if (Array.isArray(raw.emits)) {
    raw.emits.forEach((e, i) => {
      if (e === null || typeof e !== "object") return;
      const emit = e as Record<string, unknown>;
      for (const key of Object.keys(emit)) {
        if (!EMIT_KEYS.has(key)) {
          const at = locate(["emits", i, key]);
          push(["emits", i, key], at.line, at.column, `unknown key "${key}" in emits (expected technique_id, sub_technique_id, tactic, confidence); it is ignored`, "warning");
        }
      }
      catalogWarnings(emit, ["emits", i], locate, push);
    });
  }

  let matcher: PatternMatcher | null = null;
  const rawMatch = raw.match as Record<string, unknown> | undefined;
  if (rawMatch && typeof rawMatch === "object" && typeof rawMatch.pattern === "string" && rawMatch.pattern.length > 0 && rawMatch.kind === undefined) {
    const compiled = compilePattern(rawMatch.pattern);
    if (compiled.ok) {
      matcher = compiled.matcher;
    } else {
      for (const p of compiled.problems) {
        const at = locatePatternOffset(ctx.doc, ctx.lineCounter, yamlText, p.offset) ?? locate(["match", "pattern"]);
        push(["match", "pattern"], at.line, at.column, `pattern: ${p.message}`);
      }
    }
  }

  if (rawMatch && typeof rawMatch === "object" && typeof rawMatch.kind === "string" && rawMatch.pattern === undefined) {
    analyzerIssues(rawMatch.kind, analyzerParams(rawMatch), ctx, yamlText);
  }

  if (!parsed.success || issues.some((i) => i.severity === "error")) return { rule: null, issues };

  const d = parsed.data;
  const match: MatchSpec =
    d.match.kind !== undefined
      ? { type: "analyzer", kind: d.match.kind, params: Object.freeze(analyzerParams(d.match)) }
      : { type: "pattern", pattern: d.match.pattern as string, field: d.match.field ?? null };
  const emits: Emit[] = d.emits.map((e) =>
    Object.freeze({
      technique_id: e.technique_id,
      sub_technique_id: e.sub_technique_id ?? null,
      tactic: e.tactic,
      confidence: e.confidence,
    }),
  );
  const tests: RuleTestCase[] = (d.tests ?? []).map((t, index) => {
    const at = locate(["tests", index]);
    return Object.freeze({
      event: Object.freeze({ ...(t.event.source_kind !== undefined ? { source_kind: t.event.source_kind } : {}), payload: Object.freeze({ ...t.event.payload }) }),
      expect: Object.freeze([...t.expect]),
      line: at.line,
      column: at.column,
      index,
    });
  });
  const rule: CompiledRule = Object.freeze({
    ruleId: d.rule_id,
    ruleVersion: d.rule_version,
    name: d.name,
    description: d.description,
    appliesTo: new Set(d.applies_to) as ReadonlySet<string>,
    match: Object.freeze(match),
    emits: Object.freeze(emits),
    evidenceFields: Object.freeze([...d.evidence_fields]),
    matcher,
    tests: Object.freeze(tests),
    state: Object.freeze({ ...(options.state ?? defaultState()) }),
    yamlText,
  });

  if (options.runTests !== false) {
    for (const failure of runRuleTests(rule)) {
      push(["tests", failure.index], failure.line, failure.column, failure.message);
    }
    if (issues.some((i) => i.severity === "error")) return { rule: null, issues };
  }
  return { rule, issues };
}

/**
 * What `parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false })` returns,
 * from the tokens already lexed by lexWithinLimits (the package's Parser.parse(text) = lex + next
 * per token + end); `lineCounter` learns every line start.
 */
function parseTokens(tokens: readonly string[], lineCounter: LineCounter): Document.Parsed[] {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  function* cst(): Generator<CST.Token, void> {
    for (const tok of tokens) yield* parser.next(tok);
    yield* parser.end();
  }
  return Array.from(new Composer({ prettyErrors: false, uniqueKeys: false }).compose(cst())) as Document.Parsed[];
}

/** Like parseRule but throws ValidationError when the document has errors. */
export function compileRule(yamlText: string, options: ParseRuleOptions): CompiledRule {
  const { rule, issues } = parseRule(yamlText, options);
  if (!rule) throw new ValidationError(issues);
  return rule;
}

export interface RuleTestFailure {
  index: number;
  line: number;
  column: number;
  message: string;
}

/** Ids the `tests:` examples' events carry (examples hold only a payload; identity analyzers need an identity id). */
export const TEST_EVENT_IDS = Object.freeze({ attacker_uuid: "tests-attacker", identity_uuid: "tests-identity" });

/**
 * Runs the rule's `tests:` examples (SPEC §1.2) with the real engine (pattern and analyzer rules
 * alike; never reading files) and the default state: a positive example must emit every expected
 * technique id, a negative one (empty expect) nothing.
 */
export function runRuleTests(rule: CompiledRule): RuleTestFailure[] {
  const failures: RuleTestFailure[] = [];
  if (rule.tests.length === 0) return failures;
  const engine = new Engine({ matchCacheEntries: 0 });
  engine.replaceAll([withState(rule, defaultState())]);
  const firstKind = [...rule.appliesTo][0] ?? "";
  for (const t of rule.tests) {
    const kind = t.event.source_kind ?? firstKind;
    const tags = engine.evaluate({ source_kind: kind, source_id: `tests[${t.index}]`, ...TEST_EVENT_IDS, payload: { ...t.event.payload } });
    const emitted = new Set<string>();
    for (const tag of tags) {
      emitted.add(tag.technique_id);
      if (tag.sub_technique_id) emitted.add(tag.sub_technique_id);
    }
    const fired = tags.length > 0;
    const where = `tests[${t.index}]`;
    if (t.expect.length === 0) {
      if (fired) failures.push({ index: t.index, line: t.line, column: t.column, message: `${where}: negative example matched but must not (${describeField(rule, kind, t.event.payload, [...emitted])})` });
      continue;
    }
    const missing = t.expect.filter((id) => !emitted.has(id));
    if (missing.length > 0) {
      const why = fired ? `the rule emits ${[...emitted].join(", ")}` : `no match (${describeField(rule, kind, t.event.payload, [])})`;
      failures.push({ index: t.index, line: t.line, column: t.column, message: `${where}: expected ${missing.join(", ")} but ${why}` });
    }
  }
  return failures;
}

function describeField(rule: CompiledRule, kind: string, payload: Readonly<Record<string, unknown>>, emitted: readonly string[]): string {
  if (!rule.appliesTo.has(kind)) return `source kind "${kind}" is not in applies_to`;
  if (rule.match.type === "analyzer") return explainAnalyzer(rule.match, payload, emitted);
  const field = fieldFor(rule.match.field, kind);
  if (field === null) return `source kind "${kind}" has no default field; set match.field`;
  const v = payload[field];
  if (v === undefined) return `payload has no "${field}"`;
  if (typeof v !== "string") return `payload.${field} is not a string`;
  return `searched payload.${field}`;
}

function catalogWarnings(
  emit: Record<string, unknown>,
  base: Path,
  locate: (p: Path) => { line: number; column: number },
  push: (path: Path, line: number, column: number, message: string, severity?: "error" | "warning") => void,
): void {
  const tech = typeof emit.technique_id === "string" ? emit.technique_id : null;
  const sub = typeof emit.sub_technique_id === "string" ? emit.sub_technique_id : null;
  const tactic = typeof emit.tactic === "string" ? emit.tactic : null;
  if (tech && /^T\d{4}$/.test(tech)) {
    const t = findTechnique(tech);
    if (!t) {
      const at = locate([...base, "technique_id"]);
      push([...base, "technique_id"], at.line, at.column, `technique ${tech} is not in the bundled ATT&CK catalog`, "warning");
    } else if (tactic && /^TA\d{4}$/.test(tactic) && !t.tactics.includes(tactic)) {
      const at = locate([...base, "tactic"]);
      const names = t.tactics.map((id) => `${id} ${findTactic(id)?.name ?? ""}`.trim()).join(", ");
      push([...base, "tactic"], at.line, at.column, `technique ${tech} (${t.name}) is not under tactic ${tactic}; ATT&CK lists ${names}`, "warning");
    }
  }
  if (tactic && /^TA\d{4}$/.test(tactic) && !findTactic(tactic)) {
    const at = locate([...base, "tactic"]);
    push([...base, "tactic"], at.line, at.column, `tactic ${tactic} is not in the bundled ATT&CK catalog`, "warning");
  }
  if (sub && /^T\d{4}\.\d{3}$/.test(sub) && !findTechnique(sub)) {
    const at = locate([...base, "sub_technique_id"]);
    push([...base, "sub_technique_id"], at.line, at.column, `sub-technique ${sub} is not in the bundled ATT&CK catalog`, "warning");
  }
}

/**
 * An analyzer match's parameters against its kind's schema (lib/rules/analyzers): wrong types are
 * errors, unknown keys warnings (DECNET's own unused keys are declared, so its pack stays quiet),
 * regex parameters compiled like match.pattern; a kind without an analyzer is a warning.
 */
function analyzerIssues(kind: string, params: Record<string, unknown>, ctx: CheckContext, text: string): void {
  const { locate, push } = ctx;
  if (!/^lifter:/.test(kind)) return;
  const spec = analyzerSpec(kind);
  if (spec === undefined) {
    const at = locate(["match", "kind"]);
    const family = kind.slice("lifter:".length).split("_")[0] ?? "";
    const near = [...ANALYZER_SPECS.keys()].filter((k) => k.startsWith(`lifter:${family}_`) || k === `lifter:${family}`);
    push(["match", "kind"], at.line, at.column, `no analyzer for ${kind}: the rule is stored but never fires${near.length > 0 ? ` (did you mean ${near.join(", ")}?)` : ""}`, "warning");
    return;
  }
  const result = spec.params.safeParse(params);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const sub = issue.path.filter((p): p is string | number => typeof p !== "symbol");
      const path: Path = ["match", ...sub];
      const at = locate(path);
      const name = sub.length > 0 ? sub.join(".") : "parameters";
      push(path, at.line, at.column, `${kind} ${name}: ${issue.message}`);
    }
  }
  const declared = declaredKeys(spec.params);
  if (declared !== null) {
    for (const key of Object.keys(params)) {
      if (declared.has(key)) continue;
      const path: Path = ["match", key];
      const at = locate(path);
      push(path, at.line, at.column, `${kind} has no parameter "${key}"; it is ignored (parameters: ${[...declared].join(", ") || "none"})`, "warning");
    }
  }
  let chars = 0;
  let units = 0;
  for (const name of spec.patternParams) {
    const list = params[name];
    if (!Array.isArray(list)) continue;
    for (const p of list) {
      if (typeof p !== "string") continue;
      chars += p.length;
      units += patternRepeatUnits(p) ?? 0;
    }
    if (chars > MAX_RULE_PATTERN_CHARS || units > MAX_RULE_REPEAT_UNITS) {
      const at = locate(["match", name]);
      push(
        ["match", name],
        at.line,
        at.column,
        `the rule's patterns are too large together (${chars} characters, ${units} counted-repetition units; at most ${MAX_RULE_PATTERN_CHARS} and ${MAX_RULE_REPEAT_UNITS}): split the rule`,
      );
      continue;
    }
    if (list.length > MAX_PATTERNS_PER_LIST) {
      const at = locate(["match", name]);
      push(["match", name], at.line, at.column, `${name} lists ${list.length} patterns; at most ${MAX_PATTERNS_PER_LIST} are allowed (split the rule)`);
      continue;
    }
    list.forEach((pattern, i) => {
      if (typeof pattern !== "string") return; // the schema reported it
      const compiled = compilePattern(pattern);
      if (compiled.ok) return;
      const path: Path = ["match", name, i];
      for (const p of compiled.problems) {
        const at = locatePatternOffset(ctx.doc, ctx.lineCounter, text, p.offset, path) ?? locate(path);
        push(path, at.line, at.column, `${name}[${i}]: ${p.message}`);
      }
    });
  }
}

/** The keys an object schema declares, or null when it is not an object schema. */
function declaredKeys(schema: unknown): Set<string> | null {
  const shape = (schema as { shape?: unknown } | null)?.shape;
  return shape !== null && typeof shape === "object" ? new Set(Object.keys(shape)) : null;
}

function analyzerParams(match: Record<string, unknown>): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(match)) if (k !== "kind") params[k] = v;
  return params;
}

/** 1-based line:column of the node at `path`, or of its nearest existing ancestor. */
function locatePath(doc: Document.Parsed, lc: LineCounter, path: Path): { line: number; column: number } {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = sub.length === 0 ? doc.contents : (doc.getIn(sub, true) as unknown);
    if (isNode(node) && node.range) {
      // For a missing key, point at the parent mapping's first key rather than its end.
      const p = lc.linePos((node as Node).range?.[0] ?? 0);
      return { line: p.line, column: p.col };
    }
    if (isPair(node) && isNode(node.key) && node.key.range) {
      const p = lc.linePos(node.key.range[0]);
      return { line: p.line, column: p.col };
    }
  }
  return { line: 1, column: 1 };
}

/**
 * Exact position of a pattern offset when the scalar's source text maps 1:1 onto its value
 * (plain or single-quoted without escapes, on one line); otherwise null (caller uses the node).
 */
function locatePatternOffset(doc: Document.Parsed, lc: LineCounter, text: string, offset: number, path: Path = ["match", "pattern"]): { line: number; column: number } | null {
  const contents = doc.contents;
  if (!isMap(contents)) return null;
  const node = doc.getIn(path, true);
  if (!isScalar(node) || !node.range || typeof node.value !== "string") return null;
  const [start, end] = node.range;
  const src = text.slice(start, end);
  const value = node.value;
  let contentStart: number;
  if (node.type === "PLAIN" && src === value) contentStart = start;
  else if (node.type === "QUOTE_SINGLE" && src === `'${value}'`) contentStart = start + 1;
  else if (node.type === "QUOTE_DOUBLE" && src === `"${value}"`) contentStart = start + 1;
  else return null;
  if (value.includes("\n")) return null;
  const p = lc.linePos(contentStart + Math.min(offset, value.length));
  return { line: p.line, column: p.col };
}

/** Reports every repeated scalar key of every mapping (depth is bounded by yamlDepthProblem). */
function duplicateKeys(node: unknown, report: (offset: number, key: string) => void): void {
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const k = pair.key;
      if (isScalar(k)) {
        const name = String(k.value);
        if (seen.has(name)) report(k.range?.[0] ?? 0, name);
        else seen.add(name);
      }
      duplicateKeys(pair.value, report);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) duplicateKeys(item, report);
  }
}

/** 1-based line:column of an offset (for positions found before the YAML is parsed). */
function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? s;
}
