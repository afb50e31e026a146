import type { AnalyzerFailure, Engine } from "../engine/engine";
import type { MatchCacheTotals } from "../engine/match-cache";
import { parseEventLine } from "../engine/event-line";
import type { Tag } from "../engine/types";
import type { Span } from "@opentelemetry/api";
import { SPAN, withSpanSync } from "../telemetry";
import type { BufferRecycler } from "./buffers";
import { TagLineWriter } from "./tag-lines";

/** A run of complete input lines (UTF-8; the last may lack its newline). */
export interface TextBlock {
  bytes: Uint8Array;
  /** The input started over before this block (truncated or rotated file): line numbers restart at 1. */
  restart?: boolean;
}

export interface MalformedLine {
  /** 1-based line number within the block (the reader adds the lines of the blocks before it). */
  line: number;
  error: string;
}

/** What evaluating one block produced. Plain data: it crosses the thread boundary as is. */
export interface BlockResult {
  /** Well-formed events evaluated. */
  events: number;
  malformed: number;
  /** The first few malformed lines of the block (the count above is exact). */
  malformedSamples: MalformedLine[];
  /** Tags at or above the floor, written to the sinks. */
  tags: number;
  belowFloor: number;
  /** JSON Lines of the tags, UTF-8 (empty when the JSON Lines sink is off); starts at offset 0 of memory it owns. */
  jsonl: Uint8Array;
  /** The tags themselves, for the database sink (null when it is off). */
  rows: Tag[] | null;
  /** [rule_id, events the rule fired on] (before the floor). */
  fires: [string, number][];
  /** Lines in the block, blank ones included. */
  lines: number;
  /** What the engine's match caches did for this block. */
  matchCache: MatchCacheTotals;
  /** [lifter kind, events skipped (an ill-typed field), predicate failures] in this block; only kinds that changed. */
  analyzers: [string, number, number][];
  /** The first predicate failures of the block (rule id, kind, message; never payload content). */
  analyzerFailures: AnalyzerFailure[];
}

export interface EvaluateOptions {
  minConfidence: number;
  jsonl: boolean;
  rows: boolean;
  /** Malformed lines kept with their message per block. */
  maxSamples?: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Parses, evaluates and serialises one block of JSON Lines. Never throws on input content: a
 * line that is not a valid event is counted (and sampled) and skipped; blank lines are ignored.
 *
 * Traced per block, not per event (SPEC §3.4; a span per event would cost more than evaluating
 * it): a `ttp.eval` span with the block's counts and, when a tracer records it, one child
 * `ttp.rule.fire` span per rule that fired (`rule_id`, `ttp.fires`). Ids and counts only, never
 * payload content. Without an OpenTelemetry SDK both are no-ops.
 */
export function evaluateBlock(block: TextBlock, engine: Engine, options: EvaluateOptions, output: BufferRecycler | null = null): BlockResult {
  return withSpanSync(SPAN.eval, {}, (span) => {
    const r = evaluateUntraced(block, engine, options, output);
    describeBlock(span, r);
    return r;
  });
}

/**
 * The `ttp.eval` span of a block evaluated on an evaluation thread, recorded on the main thread
 * from its result (the OpenTelemetry SDK runs there): same attributes and `ttp.rule.fire` children.
 */
export function traceThreadResult(r: BlockResult): void {
  withSpanSync(SPAN.eval, { "ttp.thread": true }, (span) => describeBlock(span, r));
}

function describeBlock(span: Span, r: BlockResult): void {
  if (!span.isRecording()) return;
  span.setAttributes({
    "ttp.events": r.events,
    "ttp.tags": r.tags,
    "ttp.tags_below_floor": r.belowFloor,
    "ttp.malformed": r.malformed,
    "ttp.match_cache.lookups": r.matchCache.lookups,
    "ttp.match_cache.hits": r.matchCache.hits,
  });
  for (const [ruleId, n] of r.fires) withSpanSync(SPAN.fire, { rule_id: ruleId, "ttp.fires": n }, () => undefined);
}

function evaluateUntraced(block: TextBlock, engine: Engine, options: EvaluateOptions, output: BufferRecycler | null): BlockResult {
  const cache0 = engine.matchCacheTotals();
  const counts0 = engine.analyzerCounts();
  const b = block.bytes;
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("utf8");
  const maxSamples = options.maxSamples ?? 10;
  const floor = options.minConfidence;
  const wantJson = options.jsonl;
  const rows: Tag[] | null = options.rows ? [] : null;
  const fires = new Map<string, number>();
  const samples: MalformedLine[] = [];
  const out = wantJson ? new TagLineWriter(output) : null;
  let events = 0;
  let malformed = 0;
  let tags = 0;
  let belowFloor = 0;
  let lineNo = 0;
  let pos = 0;
  const end = text.length;
  while (pos < end) {
    let nl = text.indexOf("\n", pos);
    if (nl === -1) nl = end;
    let stop = nl;
    if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
    const line = stop > pos ? text.slice(pos, stop) : "";
    pos = nl + 1;
    lineNo++;
    if (line.length === 0) continue;
    const c0 = line.charCodeAt(0);
    if ((c0 === 32 || c0 === 9) && line.trim() === "") continue;
    const parsed = parseEventLine(line);
    if (!parsed.ok) {
      malformed++;
      if (samples.length < maxSamples) samples.push({ line: lineNo, error: parsed.error });
      continue;
    }
    events++;
    const found = engine.evaluate(parsed.event);
    if (found.length === 0) continue;
    let lastRule = "";
    for (let i = 0; i < found.length; i++) {
      const tag = found[i] as Tag;
      // The engine emits a rule's tags together: one fire per (event, rule).
      if (tag.rule_id !== lastRule) {
        lastRule = tag.rule_id;
        fires.set(lastRule, (fires.get(lastRule) ?? 0) + 1);
      }
      if (tag.confidence < floor) {
        belowFloor++;
        continue;
      }
      tags++;
      if (out !== null) out.write(tag);
      if (rows !== null) rows.push(tag);
    }
  }
  let jsonl: Uint8Array = EMPTY;
  if (out !== null) {
    if (out.length > 0) jsonl = out.bytes();
    else output?.give(out.bytes());
  }
  const cache1 = engine.matchCacheTotals();
  const matchCache = { lookups: cache1.lookups - cache0.lookups, hits: cache1.hits - cache0.hits, bypassed: cache1.bypassed - cache0.bypassed };
  const analyzers: [string, number, number][] = [];
  for (const [kind, c] of engine.analyzerCounts()) {
    const before = counts0.get(kind);
    const skipped = c.skipped - (before?.skipped ?? 0);
    const errors = c.errors - (before?.errors ?? 0);
    if (skipped > 0 || errors > 0) analyzers.push([kind, skipped, errors]);
  }
  return {
    events,
    malformed,
    malformedSamples: samples,
    tags,
    belowFloor,
    jsonl,
    rows,
    fires: [...fires],
    lines: lineNo,
    matchCache,
    analyzers,
    analyzerFailures: engine.takeAnalyzerFailures(),
  };
}
