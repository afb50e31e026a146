import { spawn } from "node:child_process";
import path from "node:path";
import { Engine } from "../lib/engine/engine";
import { tagId } from "../lib/engine/tag-id";
import type { TtpEvent } from "../lib/engine/types";
import { compileRule } from "../lib/rules/parse-rule";
import { loadRulesDir } from "../lib/rules/rule-files";
import type { CompiledRule } from "../lib/rules/types";
import { commandEvents, generatedRuleEvents, generatedRuleYamls } from "./corpus";

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

export const ENGINE_PARTS = ["a", "a-nocache", "a-distinct", "a-distinct-nocache", "a-match", "b", "c"] as const;
export type EnginePart = (typeof ENGINE_PARTS)[number];

/** One measurement, in the process that calls it (bench/procs/engine-part.mts runs each in a fresh one). */
export async function runEnginePart(part: EnginePart, rulesDir: string): Promise<PartResult> {
  const pack = await loadPack(rulesDir);
  if (part === "c") {
    const results: Record<string, unknown> = {};
    const line = adversarial(pack, results);
    return { results: { ...results, c_line: line } };
  }
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
const TSX = path.join(ROOT, "node_modules/tsx/dist/loader.mjs");

/** runEnginePart in a fresh Node process: its own heap and JIT state, so no measurement inherits another's garbage or type feedback. */
function inProcess(part: EnginePart, rulesDir: string): Promise<PartResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, path.join(ROOT, "bench/procs/engine-part.mts"), part, rulesDir], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
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

export async function benchEngine(rulesDir: string): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  console.log("engine: each figure in a fresh Node process (own heap and JIT state)");
  const part = async (p: EnginePart) => inProcess(p, rulesDir);

  // (a) the sample pack's command rules on a generated corpus of realistic commands
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
  console.log(`(a) sample pack: ${ax.commandRules} command rules, 100,000 generated commands (${fmt(ax.distinctTexts ?? 0)} distinct texts, each event's text a fresh string) → full evaluation ${fmt(ar.eventsPerSec)} events/s (${ar.tagsPerEvent.toFixed(2)} tags/event, each with its UUIDv5; ${spread(ar)})`);
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
  return results;
}
