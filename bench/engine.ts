import { Engine } from "../lib/engine/engine";
import type { TtpEvent } from "../lib/engine/types";
import { compileRule } from "../lib/rules/parse-rule";
import { loadRulesDir } from "../lib/rules/rule-files";
import type { CompiledRule } from "../lib/rules/types";
import { commandEvents, generatedRuleEvents, generatedRuleYamls } from "./corpus";

/** Events per second over at least `minMs` of repeated passes (one core, events already parsed). */
function throughput(engine: Engine, events: TtpEvent[], minMs = 2000): { eventsPerSec: number; tagsPerEvent: number } {
  const now = Date.now();
  for (const e of events) engine.evaluate(e, now); // warm-up
  let n = 0;
  let tags = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (const e of events) tags += engine.evaluate(e, now).length;
    n += events.length;
    elapsed = performance.now() - start;
  }
  return { eventsPerSec: Math.round(n / (elapsed / 1000)), tagsPerEvent: tags / n };
}

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

export async function benchEngine(rulesDir: string): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};

  // (a) the sample pack's command rules on a generated corpus of realistic commands
  const pack = await loadRulesDir(rulesDir);
  if (pack.issues.some((i) => i.severity === "error")) throw new Error(`sample pack ${rulesDir} has validation errors; run ttp validate`);
  const commandRules = pack.rules.filter((r) => r.appliesTo.has("command") && r.match.type === "pattern");
  const engineA = new Engine();
  engineA.replaceAll(pack.rules);
  const corpus = commandEvents(100_000);
  const a = throughput(engineA, corpus as TtpEvent[]);
  // Matching alone (which rules fire; no tag objects, no UUIDv5), the ceiling for (a).
  let matchN = 0;
  const ms = performance.now();
  while (performance.now() - ms < 2000) {
    for (const ev of corpus) engineA.matchingRuleIds(ev as TtpEvent);
    matchN += corpus.length;
  }
  const matchOnly = Math.round(matchN / ((performance.now() - ms) / 1000));
  results.a_match_only_events_per_sec = matchOnly;
  results.a_pack_command_rules = commandRules.length;
  results.a_events_per_sec = a.eventsPerSec;
  results.a_tags_per_event = Number(a.tagsPerEvent.toFixed(3));
  console.log(`(a) sample pack: ${commandRules.length} command rules, ${corpus.length} distinct generated commands → ${a.eventsPerSec.toLocaleString("en-US")} events/s (${a.tagsPerEvent.toFixed(2)} tags/event, each with its UUIDv5); matching alone ${matchOnly.toLocaleString("en-US")} events/s`);

  // (b) 1,000 generated pattern rules
  const yamls = generatedRuleYamls(1000);
  const t0 = performance.now();
  const generated = yamls.map((y, i) => compileRule(y, { source: `G${i}` }));
  const compileMs = performance.now() - t0;
  const engineB = new Engine();
  const t1 = performance.now();
  engineB.replaceAll(generated);
  const indexMs = performance.now() - t1;
  const b = throughput(engineB, generatedRuleEvents(50_000, 1000) as TtpEvent[]);
  results.b_rules = generated.length;
  results.b_events_per_sec = b.eventsPerSec;
  results.b_tags_per_event = Number(b.tagsPerEvent.toFixed(3));
  results.b_compile_ms = Math.round(compileMs);
  results.b_index_ms = Math.round(indexMs);
  console.log(`(b) 1,000 generated rules (compile ${compileMs.toFixed(0)} ms, index ${indexMs.toFixed(0)} ms) → ${b.eventsPerSec.toLocaleString("en-US")} events/s (${b.tagsPerEvent.toFixed(2)} tags/event)`);

  // (c) worst single-event time over an adversarial corpus, inputs up to 64 KiB
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
  console.log(`(c) adversarial: ${times.length} events (${inputs.length} inputs × ${kinds.length} kinds, every field filled, up to 64 KiB) → worst ${worst.toFixed(2)} ms (median of 3 runs; input ${worstLen} bytes per field), p99 ${p99.toFixed(3)} ms, worst single run incl. GC ${rawWorst.toFixed(2)} ms`);
  return results;
}
