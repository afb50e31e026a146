import { Engine } from "./engine";
import { MAX_SAMPLE_BYTES, MAX_SAMPLE_EVENTS, parseSampleEvents, type MalformedSample, type SampleEvent } from "./sample-events";
import type { Tag, TtpEvent } from "./types";
import { DEFAULT_MIN_CONFIDENCE } from "./types";
import type { ValidationIssue } from "../errors";
import { defaultState, effectiveState, type RuleState } from "../state/semantics";
import { withState } from "../rules/compiled";
import { fieldFor } from "../rules/match-event";
import { explainAnalyzer, analyzerFor } from "./analyzers";
import { parseRule, runRuleTests, TEST_EVENT_IDS, type RuleTestFailure } from "../rules/parse-rule";
import type { CompiledRule } from "../rules/types";

export interface TestDraftInput {
  /** The editor's YAML, validated with the same parseRule the stores use. */
  draftYaml: string;
  /** Pasted events (object, array or JSON Lines); ignored when useExamples is set. */
  eventsText?: string;
  /** Run the draft's own `tests:` examples instead of pasted events. */
  useExamples?: boolean;
  /** The stored (effective) state of a rule id; the default state for a rule not stored yet. */
  getState: (ruleId: string) => RuleState | Promise<RuleState>;
  /** Epoch ms the state's expiry is resolved against (default Date.now()). */
  nowMs?: number;
  maxEvents?: number;
  maxBytes?: number;
}

export type NoMatchCode =
  | "kind-not-applicable"
  | "no-field-for-kind"
  | "field-missing"
  | "field-not-string"
  | "pattern-no-match"
  | "analyzer-no-fire"
  | "no-anchor"
  | "disabled";

export interface TagView {
  tactic: string;
  techniqueId: string;
  subTechniqueId: string | null;
  /** After the stored clip. */
  confidence: number;
  /** As written in the draft's `emits`. */
  declaredConfidence: number;
  /** Before the clip: the declared confidence, scaled by the analyzer where it scales (intel scores). */
  unclippedConfidence: number;
  clipped: boolean;
  /** Below the default floor of tag sinks (SPEC §4.1): such a tag is dropped by the sinks. */
  belowSinkFloor: boolean;
  evidence: Record<string, unknown>;
}

export interface ExampleCheck {
  expected: string[];
  emitted: string[];
  pass: boolean;
  message: string;
}

export interface EventOutcome {
  /** 1-based event number (the example's index + 1 for `tests:`). */
  index: number;
  /** Line of the pasted text, or of the example in the draft YAML. */
  line: number;
  label: string;
  sourceKind: string;
  sourceId: string;
  matched: boolean;
  tags: TagView[];
  noMatch: { code: NoMatchCode; message: string } | null;
  /** Only for the draft's `tests:` examples. */
  example: ExampleCheck | null;
  /** One line, readable on its own ("matched: T1059.004 … confidence 0.3" / "no match: …"). */
  text: string;
}

export interface DraftStateNote {
  /** The effective stored state applied (of the draft's rule_id). */
  state: RuleState;
  /** The rule is disabled now: the outcomes show what it would emit if enabled. */
  disabled: boolean;
  /** The clip in force (confidences are lowered to it), or null. */
  clip: number | null;
  message: string;
}

export type TestDraftResult =
  | { status: "invalid-draft"; issues: ValidationIssue[] }
  | { status: "refused"; field: "eventsText" | null; message: string }
  | {
      status: "ran";
      mode: "events" | "examples";
      ruleId: string;
      ruleVersion: number;
      analyzer: boolean;
      state: DraftStateNote;
      outcomes: EventOutcome[];
      malformed: MalformedSample[];
      /** Warnings of the draft (unknown kinds, catalog mismatches). */
      warnings: ValidationIssue[];
      /** The draft's own examples that fail: a save of this draft would be refused. */
      exampleFailures: RuleTestFailure[];
      summary: { events: number; matched: number; notMatched: number; malformed: number; passed: number; failed: number };
      elapsedMs: number;
    };

/**
 * Runs a draft rule against sample events with the real engine and the rule's stored state,
 * and says for each event what it would emit or why it does not match. Pure apart from
 * `getState`; never throws for bad input (limits and malformed events are reported).
 */
export async function testDraft(input: TestDraftInput): Promise<TestDraftResult> {
  const started = performance.now();
  const nowMs = input.nowMs ?? Date.now();
  const parsed = parseRule(input.draftYaml, { source: "draft", runTests: false });
  if (!parsed.rule) return { status: "invalid-draft", issues: parsed.issues };
  const draft = parsed.rule;
  const maxEvents = input.maxEvents ?? MAX_SAMPLE_EVENTS;

  let samples: SampleEvent[];
  let malformed: MalformedSample[] = [];
  const examples = draft.tests;
  if (input.useExamples) {
    if (examples.length === 0) return { status: "refused", field: null, message: "The draft has no tests: examples to run; add some under tests: or paste sample events." };
    if (examples.length > maxEvents) return { status: "refused", field: null, message: `The draft has ${examples.length.toLocaleString("en-US")} tests: examples; at most ${maxEvents.toLocaleString("en-US")} can be run at once.` };
    const firstKind = [...draft.appliesTo][0] ?? "";
    samples = examples.map((t) => ({
      index: t.index + 1,
      line: t.line,
      event: { source_kind: t.event.source_kind ?? firstKind, source_id: `tests[${t.index}]`, ...TEST_EVENT_IDS, payload: { ...t.event.payload } },
    }));
  } else {
    const p = parseSampleEvents(input.eventsText ?? "", { maxEvents, maxBytes: input.maxBytes ?? MAX_SAMPLE_BYTES });
    if (!p.ok) return { status: "refused", field: "eventsText", message: p.message };
    samples = p.events;
    malformed = p.malformed;
  }

  const stored = effectiveState(await input.getState(draft.ruleId), nowMs);
  const disabled = stored.state === "disabled";
  // A disabled rule runs as if enabled so the operator sees what it would emit; a clip stays.
  const rule = withState(draft, disabled ? defaultState() : stored);
  const engine = new Engine({ clock: () => nowMs });
  engine.replaceAll([rule]);
  // The same rule without a clip: what each tag would be worth before it (an analyzer may scale it).
  const unclippedEngine = new Engine({ clock: () => nowMs });
  unclippedEngine.replaceAll([withState(draft, defaultState())]);
  const clip = stored.state === "clipped" ? stored.confidence_max : null;

  const outcomes: EventOutcome[] = [];
  let matched = 0;
  let passed = 0;
  let failed = 0;
  for (const s of samples) {
    const tags = engine.evaluate(s.event, nowMs);
    const unclipped = new Map(tags.length > 0 ? unclippedEngine.evaluate(s.event, nowMs).map((t) => [t.uuid, t.confidence] as const) : []);
    const views = tags.map((t) => {
      const declared = rule.emits.find((e) => e.technique_id === t.technique_id && e.sub_technique_id === t.sub_technique_id)?.confidence ?? t.confidence;
      return tagView(t, declared, unclipped.get(t.uuid) ?? declared);
    });
    const noMatch = views.length > 0 ? null : explainNoMatch(rule, s.event);
    if (views.length > 0) matched++;
    let example: ExampleCheck | null = null;
    if (input.useExamples) {
      const t = examples[s.index - 1];
      example = checkExample(t?.expect ?? [], tags);
      if (example.pass) passed++;
      else failed++;
    }
    const label = input.useExamples ? `tests[${s.index - 1}] (line ${s.line})` : `event ${s.index} (line ${s.line})`;
    outcomes.push({
      index: s.index,
      line: s.line,
      label,
      sourceKind: s.event.source_kind,
      sourceId: s.event.source_id,
      matched: views.length > 0,
      tags: views,
      noMatch,
      example,
      text: describeOutcome(views, noMatch, example, disabled),
    });
  }

  return {
    status: "ran",
    mode: input.useExamples ? "examples" : "events",
    ruleId: draft.ruleId,
    ruleVersion: draft.ruleVersion,
    analyzer: draft.match.type === "analyzer",
    state: { state: stored, disabled, clip, message: stateMessage(draft.ruleId, stored) },
    outcomes,
    malformed,
    warnings: parsed.issues.filter((i) => i.severity === "warning"),
    exampleFailures: input.useExamples ? [] : runRuleTests(draft),
    summary: { events: outcomes.length, matched, notMatched: outcomes.length - matched, malformed: malformed.length, passed, failed },
    elapsedMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

function tagView(t: Tag, declared: number, unclipped: number): TagView {
  return {
    tactic: t.tactic,
    techniqueId: t.technique_id,
    subTechniqueId: t.sub_technique_id,
    confidence: t.confidence,
    declaredConfidence: declared,
    unclippedConfidence: unclipped,
    clipped: t.confidence < unclipped,
    belowSinkFloor: t.confidence < DEFAULT_MIN_CONFIDENCE,
    evidence: t.evidence,
  };
}

/** Why the engine emitted nothing for this event (the same checks, in the engine's order). */
export function explainNoMatch(rule: CompiledRule, event: TtpEvent): { code: NoMatchCode; message: string } {
  const m = rule.match;
  if (!rule.appliesTo.has(event.source_kind)) {
    return { code: "kind-not-applicable", message: `source_kind "${event.source_kind}" is not in applies_to (${[...rule.appliesTo].join(", ")})` };
  }
  if (m.type === "analyzer") {
    if (analyzerFor(m.kind)?.anchor === "identity" && (event.identity_uuid === undefined || event.identity_uuid === null)) {
      return { code: "no-anchor", message: `${m.kind} tags an identity: the event needs an identity_uuid` };
    }
    const why = explainAnalyzer(m, event.payload, rule.emits.map((e) => e.technique_id));
    return { code: "analyzer-no-fire", message: why.endsWith(" fired") ? "the analyzer fires but the rule emits nothing in its current state" : why };
  }
  const field = fieldFor(m.field, event.source_kind);
  if (field === null) return { code: "no-field-for-kind", message: `source_kind "${event.source_kind}" has no default field; set match.field` };
  const value = event.payload[field];
  if (value === undefined || value === null) return { code: "field-missing", message: `payload has no "${field}", the field the pattern reads` };
  if (typeof value !== "string") return { code: "field-not-string", message: `payload.${field} is a ${Array.isArray(value) ? "list" : typeof value}, not a string` };
  if (rule.matcher && rule.matcher.test(value)) return { code: "disabled", message: "the pattern matches but the rule emits nothing in its current state" };
  return { code: "pattern-no-match", message: `the pattern did not match payload.${field}` };
}

function checkExample(expect: readonly string[], tags: Tag[]): ExampleCheck {
  const emitted = new Set<string>();
  for (const t of tags) {
    emitted.add(t.technique_id);
    if (t.sub_technique_id) emitted.add(t.sub_technique_id);
  }
  const list = [...emitted];
  if (expect.length === 0) {
    return tags.length === 0
      ? { expected: [], emitted: list, pass: true, message: "pass: negative example, nothing emitted" }
      : { expected: [], emitted: list, pass: false, message: `fail: negative example but the rule emits ${list.join(", ")}` };
  }
  const missing = expect.filter((id) => !emitted.has(id));
  if (missing.length === 0) return { expected: [...expect], emitted: list, pass: true, message: `pass: expected ${expect.join(", ")}` };
  return {
    expected: [...expect],
    emitted: list,
    pass: false,
    message: `fail: expected ${missing.join(", ")} but ${list.length > 0 ? `the rule emits ${list.join(", ")}` : "nothing was emitted"}`,
  };
}

function describeOutcome(tags: TagView[], noMatch: EventOutcome["noMatch"], example: ExampleCheck | null, disabled: boolean): string {
  const head =
    tags.length > 0
      ? `${disabled ? "would match if enabled" : "matched"}: ${tags
          .map(
            (t) =>
              `${t.subTechniqueId ?? t.techniqueId} (${t.tactic}) confidence ${t.confidence}${t.clipped ? ` (clipped from ${t.unclippedConfidence})` : ""}${
                t.unclippedConfidence !== t.declaredConfidence ? ` (emits ${t.declaredConfidence}, scaled by the analyzer)` : ""
              }`,
          )
          .join("; ")}`
      : `no match: ${noMatch?.message ?? "nothing emitted"}`;
  return example ? `${head} — ${example.message}` : head;
}

function stateMessage(ruleId: string, s: RuleState): string {
  const until = s.expires_at ? ` until ${s.expires_at}` : "";
  if (s.state === "disabled") return `${ruleId} is disabled${until}: it emits nothing now. Shown: what it would emit if enabled.`;
  if (s.state === "clipped") return `${ruleId} is clipped to ${s.confidence_max}${until}: confidences are lowered to it.`;
  return `${ruleId} is enabled: confidences as written.`;
}
