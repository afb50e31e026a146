import type { AnalyzerCounts, AnalyzerFailure, Engine } from "../engine/engine";
import type { MatchCacheTotals } from "../engine/match-cache";
import { isAscii } from "node:buffer";
import { parseEvent, parseEventLine } from "../engine/event-line";
import type { Tag, TtpEvent } from "../engine/types";
import type { Span } from "@opentelemetry/api";
import { SPAN, withSpanSync } from "../telemetry";
import type { BufferRecycler } from "./buffers";
import { TagLineWriter, type RuleBytesCache } from "./tag-lines";
import { JsonShapes, NOT_TAKEN } from "./json-shapes";

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
  return traced(() => evaluateUntraced(block, engine, options, output));
}

/** evaluateBlock for events already parsed (NATS input on the main thread: no JSON round trip). */
export function evaluateEvents(events: readonly TtpEvent[], engine: Engine, options: EvaluateOptions, output: BufferRecycler | null = null): BlockResult {
  return traced(() => {
    const acc = new Accumulator(engine, options, output);
    for (const e of events) acc.add(e);
    return acc.result(events.length);
  });
}

function traced(run: () => BlockResult): BlockResult {
  return withSpanSync(SPAN.eval, {}, (span) => {
    const r = run();
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

const ruleBytes = new WeakMap<Engine, RuleBytesCache>();

/** Evaluates events one by one, counting, flooring and serialising their tags. */
class Accumulator {
  private readonly cache0: MatchCacheTotals;
  private readonly counts0: Map<string, AnalyzerCounts>;
  private readonly floor: number;
  private readonly rows: Tag[] | null;
  /** [rule_id, fires] by rule id: one map lookup per fire. */
  private readonly fires = new Map<string, [string, number]>();
  private readonly out: TagLineWriter | null;
  readonly samples: MalformedLine[] = [];
  events = 0;
  malformed = 0;
  private tags = 0;
  private belowFloor = 0;

  constructor(
    private readonly engine: Engine,
    options: EvaluateOptions,
    private readonly output: BufferRecycler | null,
  ) {
    this.cache0 = engine.matchCacheTotals();
    this.counts0 = engine.analyzerCounts();
    this.floor = options.minConfidence;
    this.rows = options.rows ? [] : null;
    let cache = ruleBytes.get(engine);
    if (cache === undefined) {
      cache = new Map();
      ruleBytes.set(engine, cache);
    }
    this.out = options.jsonl ? new TagLineWriter(output, cache) : null;
  }

  /** Evaluates one event; `text` holds its payload's JSON text at [from, to) when the scanner found it exact (else null). */
  add(event: TtpEvent, text: Uint8Array | null = null, from = 0, to = 0): void {
    this.events++;
    const found = this.engine.evaluate(event);
    if (found.length === 0) return;
    if (this.out !== null) this.out.payloadText(event.payload, text, from, to);
    let lastRule = "";
    for (let i = 0; i < found.length; i++) {
      const tag = found[i] as Tag;
      // The engine emits a rule's tags together: one fire per (event, rule).
      if (tag.rule_id !== lastRule) {
        lastRule = tag.rule_id;
        const f = this.fires.get(lastRule);
        if (f === undefined) this.fires.set(lastRule, [lastRule, 1]);
        else f[1]++;
      }
      if (tag.confidence < this.floor) {
        this.belowFloor++;
        continue;
      }
      this.tags++;
      if (this.out !== null) this.out.write(tag);
      if (this.rows !== null) this.rows.push(tag);
    }
  }

  result(lines: number): BlockResult {
    let jsonl: Uint8Array = EMPTY;
    if (this.out !== null) {
      if (this.out.length > 0) jsonl = this.out.bytes();
      else this.output?.give(this.out.bytes());
    }
    const cache1 = this.engine.matchCacheTotals();
    const c0 = this.cache0;
    const matchCache = { lookups: cache1.lookups - c0.lookups, hits: cache1.hits - c0.hits, bypassed: cache1.bypassed - c0.bypassed };
    const analyzers: [string, number, number][] = [];
    for (const [kind, c] of this.engine.analyzerCounts()) {
      const before = this.counts0.get(kind);
      const skipped = c.skipped - (before?.skipped ?? 0);
      const errors = c.errors - (before?.errors ?? 0);
      if (skipped > 0 || errors > 0) analyzers.push([kind, skipped, errors]);
    }
    return {
      events: this.events,
      malformed: this.malformed,
      malformedSamples: this.samples,
      tags: this.tags,
      belowFloor: this.belowFloor,
      jsonl,
      rows: this.rows,
      fires: [...this.fires.values()],
      lines,
      matchCache,
      analyzers,
      analyzerFailures: this.engine.takeAnalyzerFailures(),
    };
  }
}

/**
 * Bytes decoded per string: V8 puts a string over 128 KiB in its large-object space, one mapping
 * per string, and a block decoded whole cost ≈ 0.6 s per 131 MB where 64 KiB pieces take 35 ms
 * (measured on `bench -- cli`'s events). Pieces end after a newline, so lines never straddle two.
 */
const PIECE_BYTES = 64 * 1024;

/** Shapes of the event lines seen so far (one per thread: a cache of the scanner, never of results). */
const shapes = new JsonShapes();

function evaluateUntraced(block: TextBlock, engine: Engine, options: EvaluateOptions, output: BufferRecycler | null): BlockResult {
  const bytes = block.bytes;
  const maxSamples = options.maxSamples ?? 10;
  const acc = new Accumulator(engine, options, output);
  let lineNo = 0;
  for (let from = 0; from < bytes.length; ) {
    let to = bytes.length;
    if (to - from > PIECE_BYTES) {
      const nl = bytes.lastIndexOf(10, from + PIECE_BYTES - 1);
      if (nl >= from) to = nl + 1;
      else {
        // One line longer than a piece: decoded on its own.
        const next = bytes.indexOf(10, from + PIECE_BYTES);
        if (next !== -1) to = next + 1;
      }
    }
    const piece = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from);
    from = to;
    // ASCII text is its bytes at the same offsets: the shape scanner copies values out of them.
    const ascii = isAscii(piece);
    const text = ascii ? piece.toString("latin1") : piece.toString("utf8");
    let pos = 0;
    const end = text.length;
    while (pos < end) {
      let nl = text.indexOf("\n", pos);
      if (nl === -1) nl = end;
      let stop = nl;
      if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
      const start = pos;
      pos = nl + 1;
      lineNo++;
      if (stop === start) continue;
      const c0 = text.charCodeAt(start);
      if ((c0 === 32 || c0 === 9) && text.slice(start, stop).trim() === "") continue;
      const fast = ascii ? shapes.parse(text, start, stop, piece) : NOT_TAKEN;
      const parsed = fast === NOT_TAKEN ? parseEventLine(text.slice(start, stop)) : parseEvent(fast);
      if (!parsed.ok) {
        acc.malformed++;
        if (acc.samples.length < maxSamples) acc.samples.push({ line: lineNo, error: parsed.error });
        continue;
      }
      if (fast !== NOT_TAKEN) {
        // The payload's text is the scanner's: only for the object it built (the schema's path builds others).
        const to = parsed.event === fast ? shapes.payloadTo : -1;
        acc.add(parsed.event, to < 0 ? null : piece, shapes.payloadFrom, to);
        continue;
      }
      if (ascii) shapes.learn(parsed.event);
      acc.add(parsed.event);
    }
  }
  return acc.result(lineNo);
}
