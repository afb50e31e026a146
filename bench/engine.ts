import { spawn } from "node:child_process";
import path from "node:path";
import { Engine } from "../lib/engine/engine";
import { tagId } from "../lib/engine/tag-id";
import type { TtpEvent } from "../lib/engine/types";
import { fieldFor } from "../lib/rules/match-event";
import { compileRule } from "../lib/rules/parse-rule";
import { loadRulesDir } from "../lib/rules/rule-files";
import type { CompiledRule } from "../lib/rules/types";
import { DECNET_SHAPED_RULES } from "../lib/engine/analyzers/testing/decnet-shaped";
import { adversarialMixedEvents, commandEvents, generatedRuleEvents, generatedRuleYamls, MIXED_KIND_WEIGHTS, mixedEvents } from "./corpus";

interface Rate {
  /** Median of the runs. */
  eventsPerSec: number;
  min: number;
  max: number;
  runs: number;
}

/**
 * Events per second of `pass` (one pass over `events`, returns a count to keep the work
 * observable): one warm-up pass, then `runs` runs of at least `minMs` each (one core, events
 * already parsed); the median run is the figure, min and max show the noise. `prepare` runs
 * before every pass, outside the timed region.
 */
function rate(events: readonly TtpEvent[], pass: () => number, runs = 5, minMs = 1000, prepare?: () => void): Rate & { count: number } {
  prepare?.();
  pass(); // warm-up: JIT, RE2 DFA caches, tag-id tails
  const rates: number[] = [];
  let count = 0;
  let n = 0;
  for (let r = 0; r < runs; r++) {
    let done = 0;
    let elapsed = 0;
    while (elapsed < minMs) {
      prepare?.();
      const start = performance.now();
      count += pass();
      done += events.length;
      elapsed += performance.now() - start;
    }
    n += done;
    rates.push(done / (elapsed / 1000));
  }
  rates.sort((a, b) => a - b);
  return { eventsPerSec: Math.round(rates[Math.floor(runs / 2)] as number), min: Math.round(rates[0] as number), max: Math.round(rates[runs - 1] as number), runs, count: count / n };
}

/**
 * Before each pass, every event's `field` becomes a fresh copy of its text, as JSON.parse gives a
 * worker: the same string object across passes would keep its hash, which a match-cache lookup
 * otherwise computes for each event.
 */
function freshTexts(events: TtpEvent[], field: string): () => void {
  const json = JSON.stringify(events.map((e) => e.payload[field]));
  return () => {
    const texts = JSON.parse(json) as unknown[];
    for (let i = 0; i < events.length; i++) (events[i] as TtpEvent).payload[field] = texts[i];
  };
}

/** Full evaluation: every tag built (uuid computed, all DECNET fields, evidence). */
function throughput(engine: Engine, events: TtpEvent[], runs = 5, prepare?: () => void): Rate & { tagsPerEvent: number } {
  const now = Date.now();
  const r = rate(events, () => {
    let tags = 0;
    for (const e of events) tags += engine.evaluate(e, now).length;
    return tags;
  }, runs, 1000, prepare);
  return { ...r, tagsPerEvent: r.count };
}

/** What the timed loop produces, checked up front: every DECNET field, the uuid equal to tagId(). */
function checkTags(engine: Engine, events: TtpEvent[]): void {
  const fields = ["uuid", "source_kind", "source_id", "attacker_uuid", "identity_uuid", "session_id", "decky_id", "tactic", "technique_id", "sub_technique_id", "confidence", "rule_id", "rule_version", "evidence"];
  for (const e of events) {
    for (const t of engine.evaluate(e)) {
      const missing = fields.filter((f) => !(f in t));
      const id = tagId(t.source_kind, t.source_id, t.rule_id, t.rule_version, t.technique_id, t.sub_technique_id);
      if (missing.length > 0 || t.uuid !== id) throw new Error(`bench self-check: tag ${JSON.stringify(t)} (missing ${missing.join(", ")}; expected uuid ${id})`);
    }
  }
}

const fmt = (n: number): string => n.toLocaleString("en-US");
const spread = (r: Rate): string => `median of ${r.runs} runs; ${fmt(r.min)}–${fmt(r.max)}`;

/** Long inputs crafted against each pattern: its literal fragments repeated, near-misses, classic blow-ups. */
function adversarialInputs(rules: readonly CompiledRule[], sizes: number[]): string[] {
  const out: string[] = [];
  const fill = (unit: string, size: number) => (unit.length === 0 ? "" : unit.repeat(Math.ceil(size / unit.length)).slice(0, size));
  const classics = ["echo eval(", "a", "a ", "aa!", "\t", "/", "../", "%2e%2e/", "${jndi:", "wget http://", "x".repeat(31) + "=", "<?php eval("];
  for (const size of sizes) {
    for (const c of classics) {
      out.push(fill(c, size));
      out.push(fill(c, size - 1) + "!");
    }
    out.push("echo " + fill("eval(", size - 10) + " > a");
    for (const r of rules) {
      if (r.match.type !== "pattern") continue;
      const frags = r.match.pattern.replace(/\\[a-zA-Z]/g, " ").match(/[A-Za-z0-9/._$:{}<>=-]{2,}/g) ?? [];
      if (frags.length > 0) {
        out.push(fill(frags.join(" ") + " ", size));
        out.push(fill(frags.join(""), size));
      }
      for (const t of r.tests) {
        for (const v of Object.values(t.event.payload)) {
          if (typeof v === "string" && v.length > 0) {
            const noSep = v.replace(/[;|\n]/g, " ");
            out.push(fill(noSep + " ", size));
          }
        }
      }
    }
  }
  return out;
}

/** (c) worst single-event time over an adversarial corpus, inputs up to 64 KiB. */
function adversarial(pack: { rules: readonly CompiledRule[] }, results: Record<string, unknown>): string {
  const engineC = new Engine();
  engineC.replaceAll([...pack.rules]);
  const inputs = adversarialInputs(pack.rules, [1024, 9 * 1024, 64 * 1024]);
  const kinds = [...new Set(pack.rules.flatMap((r) => [...r.appliesTo]))];
  const fields = ["command_text", "raw_url", "user_agent", "username", "payload_text", "ua_signature", "subject", "verdict"];
  let worst = 0;
  let rawWorst = 0;
  let worstLen = 0;
  const times: number[] = [];
  let i = 0;
  for (const input of inputs) {
    for (const kind of kinds) {
      const payload: Record<string, unknown> = {};
      for (const f of fields) payload[f] = input;
      const ev: TtpEvent = { source_kind: kind, source_id: `adv_${i++}`, payload };
      // Median of three runs of the same event, so one GC pause does not stand for the input.
      const runs: number[] = [];
      for (let k = 0; k < 3; k++) {
        const s = performance.now();
        engineC.evaluate(ev);
        runs.push(performance.now() - s);
      }
      rawWorst = Math.max(rawWorst, ...runs);
      const d = runs.sort((x, y) => x - y)[1] as number;
      times.push(d);
      if (d > worst) {
        worst = d;
        worstLen = input.length;
      }
    }
  }
  times.sort((x, y) => x - y);
  const p99 = times[Math.floor(times.length * 0.99)] ?? 0;
  results.c_events = times.length;
  results.c_worst_ms = Number(worst.toFixed(3));
  results.c_worst_single_run_ms = Number(rawWorst.toFixed(3));
  results.c_p99_ms = Number(p99.toFixed(3));
  const line = `(c) adversarial: ${times.length} events (${inputs.length} inputs × ${kinds.length} kinds, every field filled, up to 64 KiB) → worst ${worst.toFixed(2)} ms (median of 3 runs; input ${worstLen} bytes per field), p99 ${p99.toFixed(3)} ms, worst single run incl. GC ${rawWorst.toFixed(2)} ms`;
  return line;
}

/** Goals printed beside figure (d). */
const D_GOAL_EVENTS_PER_SEC = 500_000;
const D_GOAL_WORST_MS = 5;
const goal = (met: boolean): string => (met ? "goal met" : "goal NOT met");

/**
 * Figure (d)'s rules: the DECNET-shaped analyzer rules (one per `lifter:` kind, R0001–R0006 and
 * R0030–R0059) plus the sample pack as loaded from `rulesDir`. A pack rule whose id is a
 * DECNET-shaped one is left out (reported).
 */
function mixedRuleSet(packRules: readonly CompiledRule[]): { rules: CompiledRule[]; shadowed: string[]; analyzerRules: number } {
  const decnet = DECNET_SHAPED_RULES.map((r) => compileRule(r.yaml, { source: r.ruleId, runTests: false }));
  const ids = new Set(decnet.map((r) => r.ruleId));
  const shadowed = packRules.filter((r) => ids.has(r.ruleId)).map((r) => r.ruleId);
  const rules = [...decnet, ...packRules.filter((r) => !ids.has(r.ruleId))];
  return { rules, shadowed, analyzerRules: rules.filter((r) => r.match.type === "analyzer").length };
}

/** Payload fields the rule set's pattern rules read, per source kind (what a match cache would hash). */
function patternFields(rules: readonly CompiledRule[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const r of rules) {
    if (r.match.type !== "pattern") continue;
    for (const kind of r.appliesTo) {
      const f = fieldFor(r.match.field, kind);
      if (f === null) continue;
      const set = out.get(kind) ?? new Set<string>();
      set.add(f);
      out.set(kind, set);
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]));
}

/** Before each pass, the pattern-read string fields of every event become fresh copies (as JSON.parse gives a worker). */
function freshPatternTexts(events: TtpEvent[], fields: Map<string, string[]>): () => void {
  const slots: [number, string][] = [];
  const values: unknown[] = [];
  events.forEach((e, i) => {
    for (const f of fields.get(e.source_kind) ?? []) {
      if (typeof e.payload[f] !== "string") continue;
      slots.push([i, f]);
      values.push(e.payload[f]);
    }
  });
  const json = JSON.stringify(values);
  return () => {
    const texts = JSON.parse(json) as unknown[];
    for (let k = 0; k < slots.length; k++) {
      const [i, f] = slots[k] as [number, string];
      (events[i] as TtpEvent).payload[f] = texts[k];
    }
  };
}

/** (d) events/s, tags/event and fired share of a mixed analyzer-bound corpus. */
function mixedAnalyzers(packRules: readonly CompiledRule[], rulesDir: string): PartResult {
  const { rules, shadowed, analyzerRules } = mixedRuleSet(packRules);
  const engine = new Engine();
  engine.replaceAll(rules);
  const events = mixedEvents(100_000) as TtpEvent[];
  checkTags(engine, events.slice(0, 5000));
  // Fired share, per kind too (untimed).
  const perKind = new Map<string, { n: number; fired: number }>();
  let fired = 0;
  for (const e of events) {
    const k = perKind.get(e.source_kind) ?? { n: 0, fired: 0 };
    k.n++;
    if (engine.evaluate(e).length > 0) {
      k.fired++;
      fired++;
    }
    perKind.set(e.source_kind, k);
  }
  const r = throughput(engine, events, 5, freshPatternTexts(events, patternFields(rules)));
  const failures = engine.takeAnalyzerFailures();
  const share = fired / events.length;
  const kinds = Object.keys(MIXED_KIND_WEIGHTS)
    .map((k) => {
      const c = perKind.get(k) ?? { n: 0, fired: 0 };
      return `${k} ${((100 * c.n) / events.length).toFixed(0)}% (fired ${((100 * c.fired) / Math.max(1, c.n)).toFixed(0)}%)`;
    })
    .join(", ");
  const lines = [
    `(d) DECNET-shaped analyzer rules (${DECNET_SHAPED_RULES.length}) + sample pack ${rulesDir} (${packRules.length} rules${shadowed.length > 0 ? `, ${shadowed.length} shadowed by id: ${shadowed.join(", ")}` : ""}) = ${rules.length} rules, ${analyzerRules} analyzer rules; 100,000 mixed events (seeded) → ${fmt(r.eventsPerSec)} events/s (${spread(r)}; goal ≥ ${fmt(D_GOAL_EVENTS_PER_SEC)} on one core: ${goal(r.eventsPerSec >= D_GOAL_EVENTS_PER_SEC)}), ${r.tagsPerEvent.toFixed(3)} tags/event, ${(100 * share).toFixed(1)}% of events fired`,
    `    mix: ${kinds}${failures.length > 0 ? `; predicate failures: ${failures.map((f) => `${f.ruleId} ${f.message}`).join("; ")}` : ""}`,
  ];
  return {
    results: {
      d_rules: rules.length,
      d_analyzer_rules: analyzerRules,
      d_pack_rules: packRules.length,
      d_shadowed_pack_rules: shadowed,
      d_events_per_sec: r.eventsPerSec,
      d_events_per_sec_range: [r.min, r.max],
      d_tags_per_event: Number(r.tagsPerEvent.toFixed(3)),
      d_fired_share: Number(share.toFixed(4)),
      d_goal_events_per_sec: D_GOAL_EVENTS_PER_SEC,
      d_lines: lines,
    },
  };
}

/** (d) worst single event over the adversarial sub-corpus (payloads ≤ 64 KiB), like (c). */
function mixedAdversarial(packRules: readonly CompiledRule[]): PartResult {
  const { rules } = mixedRuleSet(packRules);
  const engine = new Engine();
  engine.replaceAll(rules);
  // A worker has been running: warm the JIT on ordinary traffic first (untimed).
  const warm = mixedEvents(20_000, 7) as TtpEvent[];
  for (let k = 0; k < 3; k++) for (const e of warm) engine.evaluate(e);
  const adv = adversarialMixedEvents();
  const timed: { label: string; median: number; bytes: number; tags: number }[] = [];
  let rawWorst = 0;
  let rawWorstLabel = "";
  for (const { label, event } of adv) {
    const runs: number[] = [];
    let tags = 0;
    for (let k = 0; k < 3; k++) {
      const s = performance.now();
      tags = engine.evaluate(event as TtpEvent).length;
      runs.push(performance.now() - s);
    }
    const max = Math.max(...runs);
    if (max > rawWorst) {
      rawWorst = max;
      rawWorstLabel = label;
    }
    timed.push({ label, median: runs.sort((x, y) => x - y)[1] as number, bytes: Buffer.byteLength(JSON.stringify(event.payload), "utf8"), tags });
  }
  timed.sort((x, y) => y.median - x.median);
  const worst = timed[0] ?? { label: "", median: 0, bytes: 0, tags: 0 };
  const top = timed
    .slice(0, 3)
    .map((t) => `${t.median.toFixed(2)} ms ${t.label} (${fmt(t.bytes)} B, ${t.tags} tags)`)
    .join("; ");
  const lines = [
    `(d) adversarial: ${adv.length} events (payloads ≤ 64 KiB: base64 runs, near-miss BTC/XMR words, URL lists with xn-- late, 64 KiB op_text/paths, huge lists) → worst ${worst.median.toFixed(2)} ms (median of 3 runs; goal ≤ ${D_GOAL_WORST_MS} ms: ${goal(worst.median <= D_GOAL_WORST_MS)}), worst single run incl. GC ${rawWorst.toFixed(2)} ms (${rawWorstLabel})`,
    `    slowest: ${top}`,
  ];
  return {
    results: {
      d_adv_events: adv.length,
      d_adv_worst_ms: Number(worst.median.toFixed(3)),
      d_adv_worst_label: worst.label,
      d_adv_worst_single_run_ms: Number(rawWorst.toFixed(3)),
      d_adv_slowest: timed.slice(0, 5).map((t) => ({ label: t.label, ms: Number(t.median.toFixed(3)) })),
      d_goal_worst_ms: D_GOAL_WORST_MS,
      d_adv_lines: lines,
    },
  };
}

/** What one measurement process reports. */
interface PartResult {
  results: Record<string, unknown>;
  /** Figures the parent prints. */
  rate?: Rate & { tagsPerEvent?: number };
  extra?: Record<string, number>;
}

async function loadPack(rulesDir: string): Promise<Awaited<ReturnType<typeof loadRulesDir>>> {
  const pack = await loadRulesDir(rulesDir);
  if (pack.issues.some((i) => i.severity === "error")) throw new Error(`sample pack ${rulesDir} has validation errors; run ttp validate`);
  return pack;
}

/** The (a) corpus: 100,000 generated commands, or the same made distinct by a unique no-op `: <n>; ` in front. */
function corpusA(distinct: boolean): TtpEvent[] {
  const corpus = commandEvents(100_000) as TtpEvent[];
  if (!distinct) return corpus;
  return corpus.map((e, i) => ({ ...e, payload: { ...e.payload, command_text: `: ${i}; ${String(e.payload.command_text)}` } }));
}

export const ENGINE_PARTS = ["a", "a-nocache", "a-distinct", "a-distinct-nocache", "a-match", "b", "c", "d", "d-adv"] as const;
export type EnginePart = (typeof ENGINE_PARTS)[number];

/** One measurement, in the process that calls it (bench/procs/engine-part.mts runs each in a fresh one). */
export async function runEnginePart(part: EnginePart, rulesDir: string): Promise<PartResult> {
  const pack = await loadPack(rulesDir);
  if (part === "c") {
    const results: Record<string, unknown> = {};
    const line = adversarial(pack, results);
    return { results: { ...results, c_line: line } };
  }
  if (part === "d") return mixedAnalyzers(pack.rules, rulesDir);
  if (part === "d-adv") return mixedAdversarial(pack.rules);
  if (part === "b") {
    const yamls = generatedRuleYamls(1000);
    const t0 = performance.now();
    const generated = yamls.map((y, i) => compileRule(y, { source: `G${i}` }));
    const compileMs = performance.now() - t0;
    const engine = new Engine();
    const t1 = performance.now();
    engine.replaceAll(generated);
    const indexMs = performance.now() - t1;
    const b = throughput(engine, generatedRuleEvents(50_000, 1000) as TtpEvent[], 3);
    return { results: {}, rate: b, extra: { rules: generated.length, compileMs, indexMs } };
  }
  const distinct = part === "a-distinct" || part === "a-distinct-nocache";
  const cache = !(part === "a-nocache" || part === "a-distinct-nocache");
  const engine = new Engine(cache ? {} : { matchCacheEntries: 0 });
  engine.replaceAll(pack.rules);
  const corpus = corpusA(distinct);
  const fresh = freshTexts(corpus, "command_text");
  if (part === "a-match") {
    // Matching alone (which rules fire; no tag objects, no UUIDv5), the ceiling for (a).
    const m = rate(corpus, () => {
      let ids = 0;
      for (const ev of corpus) ids += engine.matchingRuleIds(ev).length;
      return ids;
    }, 5, 1000, fresh);
    return { results: {}, rate: m };
  }
  if (part === "a") checkTags(engine, corpus.slice(0, 2000));
  const r = throughput(engine, corpus, 5, fresh);
  const c = engine.stats().matchCache;
  return {
    results: {},
    rate: r,
    extra: {
      distinctTexts: new Set(corpus.map((e) => e.payload.command_text)).size,
      commandRules: pack.rules.filter((x) => x.appliesTo.has("command") && x.match.type === "pattern").length,
      hitRatio: c.lookups > 0 ? c.hits / c.lookups : 0,
      bypassRatio: c.lookups + c.bypassed > 0 ? c.bypassed / (c.lookups + c.bypassed) : 0,
    },
  };
}

const ROOT = path.resolve(__dirname, "..");

/**
 * Figure (a)'s rules: the 41 command rules of the sample pack as of 2026-11-29 (R0001–R0041,
 * copied unchanged), so that later edits or renumbering of rules/ttp do not move the figure.
 */
export const COMMAND_RULES_DIR = path.join(ROOT, "bench/fixtures/command-rules");

/**
 * The engine parts run from an esbuild bundle of bench/procs/engine-part.mts under plain `node`,
 * as workers run the engine (bin/ttp runs dist/cli/ttp.js, an esbuild bundle): under tsx every
 * cross-module call goes through an interop getter that production code does not have. Built
 * once per bench run into bench/out/ (ignored by git).
 */
const PART_BUNDLE = path.join(ROOT, "bench/out/engine-part.mjs");
let partBundle: Promise<string> | null = null;

function enginePartBundle(): Promise<string> {
  partBundle ??= (async () => {
    const esbuild = await import("esbuild");
    await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [path.join(ROOT, "bench/procs/engine-part.mts")],
      outfile: PART_BUNDLE,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      packages: "external",
      logLevel: "warning",
      // CommonJS names the bundled modules use; __dirname is bench/, where bench/engine.ts lives.
      banner: {
        js: 'import { createRequire as __ttpRequire } from "node:module"; import { fileURLToPath as __ttpPath } from "node:url"; import { dirname as __ttpDir } from "node:path"; const require = __ttpRequire(import.meta.url); const __filename = __ttpPath(import.meta.url); const __dirname = __ttpDir(__ttpDir(__filename));',
      },
    });
    return PART_BUNDLE;
  })();
  return partBundle;
}

/** runEnginePart in a fresh Node process: its own heap and JIT state, so no measurement inherits another's garbage or type feedback. */
async function inProcess(part: EnginePart, rulesDir: string): Promise<PartResult> {
  const bundle = await enginePartBundle();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, part, rulesDir], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`engine bench part ${part} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "") as PartResult);
      } catch (err) {
        reject(new Error(`engine bench part ${part} printed no result: ${String(err)}`));
      }
    });
  });
}

/**
 * (a) runs on `commandRulesDir` (default: the pinned fixture), (c) on `rulesDir` (the pack as
 * shipped, analyzer rules included), (b) on generated rules.
 */
export async function benchEngine(rulesDir: string, commandRulesDir = COMMAND_RULES_DIR): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  console.log(`engine: each figure in a fresh Node process (own heap and JIT state) running an esbuild bundle of the engine, as workers do (bin/ttp); (a) rules from ${path.relative(ROOT, path.resolve(commandRulesDir)) || "."}, (c) rules from ${rulesDir}`);
  const part = async (p: EnginePart) => inProcess(p, p.startsWith("a") ? commandRulesDir : rulesDir);

  // (a) the sample pack's command rules (pinned copy) on a generated corpus of realistic commands
  const a = await part("a");
  const a0 = await part("a-nocache");
  const au = await part("a-distinct");
  const au0 = await part("a-distinct-nocache");
  const m = await part("a-match");
  const ar = a.rate as Rate & { tagsPerEvent: number };
  const ax = a.extra as Record<string, number>;
  const aur = au.rate as Rate & { tagsPerEvent: number };
  const aux = au.extra as Record<string, number>;
  const a0r = a0.rate as Rate;
  const au0r = au0.rate as Rate;
  const mr = m.rate as Rate;
  Object.assign(results, {
    a_rules_dir: path.relative(ROOT, path.resolve(commandRulesDir)),
    a_pack_command_rules: ax.commandRules,
    a_distinct_commands: ax.distinctTexts,
    a_events_per_sec: ar.eventsPerSec,
    a_events_per_sec_range: [ar.min, ar.max],
    a_tags_per_event: Number(ar.tagsPerEvent.toFixed(3)),
    a_cache_hit_ratio: Number((ax.hitRatio ?? 0).toFixed(4)),
    a_no_cache_events_per_sec: a0r.eventsPerSec,
    a_all_distinct_events_per_sec: aur.eventsPerSec,
    a_all_distinct_tags_per_event: Number(aur.tagsPerEvent.toFixed(3)),
    a_all_distinct_bypassed_ratio: Number((aux.bypassRatio ?? 0).toFixed(4)),
    a_all_distinct_no_cache_events_per_sec: au0r.eventsPerSec,
    a_match_only_events_per_sec: mr.eventsPerSec,
  });
  console.log(`(a) sample pack (pinned copy): ${ax.commandRules} command rules, 100,000 generated commands (${fmt(ax.distinctTexts ?? 0)} distinct texts, each event's text a fresh string) → full evaluation ${fmt(ar.eventsPerSec)} events/s (${ar.tagsPerEvent.toFixed(2)} tags/event, each with its UUIDv5; ${spread(ar)})`);
  console.log(`    match cache hits ${(100 * (ax.hitRatio ?? 0)).toFixed(1)}% of lookups; with the cache off ${fmt(a0r.eventsPerSec)} events/s (${spread(a0r)})`);
  console.log(`    every command distinct (\`: <n>; \` in front, ${aur.tagsPerEvent.toFixed(2)} tags/event): cache on ${fmt(aur.eventsPerSec)} events/s (${spread(aur)}; bypassed for ${(100 * (aux.bypassRatio ?? 0)).toFixed(1)}% of events), cache off ${fmt(au0r.eventsPerSec)} events/s (${spread(au0r)})`);
  console.log(`    match only (which rules fire, no tags) ${fmt(mr.eventsPerSec)} events/s (${spread(mr)}); per event ≈ ${(1e9 / ar.eventsPerSec).toFixed(0)} ns full, ${(1e9 / mr.eventsPerSec).toFixed(0)} ns match only`);

  // (b) 1,000 generated pattern rules
  const b = await part("b");
  const br = b.rate as Rate & { tagsPerEvent: number };
  const bx = b.extra as Record<string, number>;
  Object.assign(results, { b_rules: bx.rules, b_events_per_sec: br.eventsPerSec, b_tags_per_event: Number(br.tagsPerEvent.toFixed(3)), b_compile_ms: Math.round(bx.compileMs ?? 0), b_index_ms: Math.round(bx.indexMs ?? 0) });
  console.log(`(b) 1,000 generated rules (compile ${(bx.compileMs ?? 0).toFixed(0)} ms, index ${(bx.indexMs ?? 0).toFixed(0)} ms) → ${fmt(br.eventsPerSec)} events/s (${br.tagsPerEvent.toFixed(2)} tags/event; ${spread(br)})`);

  // (c) worst single-event time over an adversarial corpus, inputs up to 64 KiB
  const c = await part("c");
  const { c_line: cLine, ...cResults } = c.results;
  Object.assign(results, cResults);
  console.log(String(cLine));

  // (d) the DECNET-shaped analyzer rules + the sample pack on mixed traffic, and its adversarial sub-corpus
  // (alone, as a worker runs it: node bench/out/engine-part.mjs d|d-adv [rules dir] --print after one bench run;
  // or under tsx: node --import tsx bench/procs/engine-part.mts d --print)
  for (const p of ["d", "d-adv"] as const) {
    const { d_lines: dLines, d_adv_lines: advLines, ...dResults } = (await part(p)).results;
    Object.assign(results, dResults);
    for (const l of [...((dLines as string[] | undefined) ?? []), ...((advLines as string[] | undefined) ?? [])]) console.log(l);
  }
  return results;
}
