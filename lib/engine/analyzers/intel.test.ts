import { describe, expect, it } from "vitest";
import { intelSpecs } from "../../rules/analyzers/intel";
import { intelAnalyzers } from "./intel";
import { testContext } from "./testing/context";
import { SKIP, type AnalyzerOutcome, type Payload } from "./types";

const ctxFor = testContext;

function analyzer(kind: string, evidenceFields: readonly string[] = [], params: Record<string, unknown> = {}) {
  const spec = intelSpecs.find((s) => s.kind === kind);
  const a = intelAnalyzers.find((x) => x.kind === kind);
  if (!spec || !a) throw new Error(`no ${kind}`);
  const config = a.prepare(spec.params.parse(params));
  return (payload: Payload): AnalyzerOutcome => a.evaluate(config, payload, ctxFor(evidenceFields, payload));
}

/** [technique, multiplier] pairs of a decisions outcome. */
function techniques(outcome: AnalyzerOutcome): [string, number][] {
  if (outcome === null || outcome === SKIP || !("decisions" in outcome)) throw new Error(`not decisions: ${String(outcome)}`);
  return outcome.decisions.map((d) => [d.technique, d.multiplier]);
}

function evidenceOf(outcome: AnalyzerOutcome, technique: string): Record<string, unknown> | undefined {
  if (outcome === null || outcome === SKIP || !("decisions" in outcome)) return undefined;
  return outcome.decisions.find((d) => d.technique === technique)?.evidence;
}

describe("intel specs", () => {
  it("lists the five kinds; provider and bump_amount are accepted, unused", () => {
    expect(intelSpecs.map((s) => s.kind)).toEqual([
      "lifter:intel_abuseipdb",
      "lifter:intel_greynoise",
      "lifter:intel_feodo",
      "lifter:intel_threatfox",
      "lifter:intel_aggregate_bump",
    ]);
    expect(intelAnalyzers.map((a) => a.kind)).toEqual(intelSpecs.map((s) => s.kind));
    for (const s of intelSpecs) expect(s.family).toBe("intel");
    expect(intelSpecs[0]?.params.parse({ provider: "abuseipdb" })).toEqual({ provider: "abuseipdb" });
    expect(intelSpecs[4]?.params.parse({ bump_amount: 0.05 })).toEqual({ bump_amount: 0.05 });
  });
});

describe("lifter:intel_abuseipdb", () => {
  const run = analyzer("lifter:intel_abuseipdb", ["abuseipdb_categories", "abuseipdb_score"]);

  it("worked example: score 95, categories [18, 22] → T1110 only, ×0.95", () => {
    const out = run({ abuseipdb_score: 95, abuseipdb_categories: [18, 22], provider: "abuseipdb" });
    expect(out).toEqual({
      decisions: [
        { technique: "T1110", multiplier: 0.95, evidence: { abuseipdb_categories: [18, 22], abuseipdb_score: 95, abuse_confidence_score: 95 } },
      ],
    });
    expect(0.7 * 0.95).toBe(0.6649999999999999);
  });

  it("scales by score / 100 and truncates abuse_confidence_score toward zero", () => {
    expect(techniques(run({ abuseipdb_score: 50, abuseipdb_categories: [18] }))).toEqual([["T1110", 0.5]]);
    const out = run({ abuseipdb_score: 85.9, abuseipdb_categories: [18] });
    expect(evidenceOf(out, "T1110")).toEqual({ abuseipdb_categories: [18], abuseipdb_score: 85.9, abuse_confidence_score: 85 });
    expect(techniques(out)).toEqual([["T1110", 85.9 / 100]]); // IEEE, as upstream: 0.8590000000000001
  });

  it("leaves the multiplier unclamped (the engine clips the product)", () => {
    expect(techniques(run({ abuseipdb_score: 200, abuseipdb_categories: [18] }))).toEqual([["T1110", 2]]);
    const neg = run({ abuseipdb_score: -0.5, abuseipdb_categories: [18] });
    expect(techniques(neg)).toEqual([["T1110", -0.005]]);
    expect(Object.is(evidenceOf(neg, "T1110")?.abuse_confidence_score, 0)).toBe(true);
  });

  it("gates category 11 → T1566 at score ≥ 80; 11 → T1496 is ungated", () => {
    expect(techniques(run({ abuseipdb_score: 80, abuseipdb_categories: [11] }))).toEqual([
      ["T1566", 0.8],
      ["T1496", 0.8],
    ]);
    expect(techniques(run({ abuseipdb_score: 79.9, abuseipdb_categories: [11] }))).toEqual([["T1496", 79.9 / 100]]);
    expect(techniques(run({ abuseipdb_score: 10, abuseipdb_categories: [7, 17] }))).toEqual([["T1566", 0.1]]);
  });

  it("collects per technique the categories that triggered it, input order, duplicates kept", () => {
    const out = run({ abuseipdb_score: 100, abuseipdb_categories: [18, 14, 22, 19, 18, 4, 10, 12, 99] });
    expect(techniques(out)).toEqual([
      ["T1110", 1],
      ["T1046", 1],
      ["T1595", 1],
    ]);
    expect(evidenceOf(out, "T1110")?.abuseipdb_categories).toEqual([18, 22, 18]);
    expect(evidenceOf(out, "T1046")?.abuseipdb_categories).toEqual([14]);
    expect(evidenceOf(out, "T1595")?.abuseipdb_categories).toEqual([14, 19]);
  });

  it("covers every mapped category", () => {
    const all = run({ abuseipdb_score: 100, abuseipdb_categories: [5, 7, 9, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23] });
    const map = Object.fromEntries(techniques(all).map(([t]) => [t, evidenceOf(all, t)?.abuseipdb_categories]));
    expect(map).toEqual({
      T1110: [5, 18, 22],
      T1566: [7, 11, 17],
      T1090: [9, 13],
      T1496: [11],
      T1046: [14],
      T1595: [14, 19],
      T1190: [15, 16, 21, 23],
      T1078: [20],
    });
  });

  it("keeps only int categories (booleans and strings are dropped) and falls back to `categories`", () => {
    expect(run({ abuseipdb_score: 90, abuseipdb_categories: [true, "18", 18.5] })).toBeNull();
    expect(evidenceOf(run({ abuseipdb_score: 90, abuseipdb_categories: [true, "22", 22] }), "T1110")?.abuseipdb_categories).toEqual([22]);
    expect(techniques(run({ abuseipdb_score: 90, abuseipdb_categories: [], categories: [22] }))).toEqual([["T1110", 0.9]]);
    expect(techniques(run({ abuseipdb_score: 90, categories: [20] }))).toEqual([["T1078", 0.9]]);
  });

  it("missing → null, ill-typed → SKIP", () => {
    expect(run({})).toBeNull();
    expect(run({ abuseipdb_score: 95 })).toBeNull();
    expect(run({ abuseipdb_categories: [18] })).toBeNull();
    expect(run({ abuseipdb_score: 95, abuseipdb_categories: [4, 10] })).toBeNull();
    expect(run({ abuseipdb_score: "95", abuseipdb_categories: [18] })).toBe(SKIP);
    expect(run({ abuseipdb_score: true, abuseipdb_categories: [18] })).toBe(SKIP);
    expect(run({ abuseipdb_score: Infinity, abuseipdb_categories: [18] })).toBe(SKIP);
    expect(run({ abuseipdb_score: 95, abuseipdb_categories: "18,22" })).toBe(SKIP);
  });
});

describe("lifter:intel_greynoise", () => {
  const run = analyzer("lifter:intel_greynoise", ["greynoise_classification", "greynoise_tags", "greynoise_name"]);

  it("malicious + tor_exit_node → T1090 ×1 and bare-malicious T1071 ×0.5", () => {
    const out = run({ greynoise_classification: "malicious", greynoise_tags: ["tor_exit_node"] });
    expect(out).toEqual({
      decisions: [
        { technique: "T1090", multiplier: 1, evidence: { greynoise_classification: "malicious", greynoise_tags: ["tor_exit_node"] } },
        { technique: "T1071", multiplier: 0.5, evidence: { greynoise_classification: "malicious", greynoise_tags: ["malicious"] } },
      ],
    });
  });

  it("cobalt_strike → T1071 and T1588 ×1; no bare-malicious lane once T1071 is triggered", () => {
    const out = run({ greynoise_classification: "malicious", greynoise_tags: ["cobalt_strike"], greynoise_name: "x" });
    expect(techniques(out)).toEqual([
      ["T1071", 1],
      ["T1588", 1],
    ]);
    expect(evidenceOf(out, "T1071")).toEqual({ greynoise_classification: "malicious", greynoise_tags: ["cobalt_strike"], greynoise_name: "x" });
  });

  it("maps every tag; C2 frameworks share techniques and signals accumulate (duplicates kept)", () => {
    const out = run({ greynoise_tags: ["metasploit", "sliver", "havoc", "ssh_bruteforcer", "sliver", "Sliver", 7] });
    expect(techniques(out)).toEqual([
      ["T1071", 1],
      ["T1588", 1],
      ["T1110", 1],
    ]);
    expect(evidenceOf(out, "T1071")?.greynoise_tags).toEqual(["metasploit", "sliver", "havoc", "sliver"]);
    expect(evidenceOf(out, "T1110")).toEqual({ greynoise_classification: null, greynoise_tags: ["ssh_bruteforcer"] });
  });

  it("scanner lane first, then tags on the same technique", () => {
    const out = run({ greynoise_classification: "scanner", greynoise_tags: ["web_crawler"] });
    expect(techniques(out)).toEqual([["T1595", 1]]);
    expect(evidenceOf(out, "T1595")?.greynoise_tags).toEqual(["scanner", "web_crawler"]);
  });

  it("bare malicious alone → T1071 ×0.5; benign/unknown without mapped tags → null", () => {
    expect(run({ greynoise_classification: "malicious" })).toEqual({
      decisions: [{ technique: "T1071", multiplier: 0.5, evidence: { greynoise_classification: "malicious", greynoise_tags: ["malicious"] } }],
    });
    expect(run({ greynoise_classification: "benign", greynoise_tags: ["some_tag"] })).toBeNull();
    expect(run({ greynoise_classification: "unknown" })).toBeNull();
    expect(run({ greynoise_classification: "Malicious" })).toBeNull();
    expect(run({})).toBeNull();
  });

  it("a string greynoise_tags is ignored; ill-typed fields with nothing firing → SKIP", () => {
    expect(techniques(run({ greynoise_classification: "malicious", greynoise_tags: "cobalt_strike" }))).toEqual([["T1071", 0.5]]);
    expect(run({ greynoise_tags: "cobalt_strike" })).toBe(SKIP);
    expect(run({ greynoise_classification: 5 })).toBe(SKIP);
  });
});

describe("lifter:intel_feodo", () => {
  const run = analyzer("lifter:intel_feodo", ["feodo_listed", "feodo_malware_family", "first_seen_feodo"]);

  it("worked example: listed Emotet → T1071 and T1588 ×1", () => {
    const evidence = { feodo_listed: true, malware_family: "Emotet" };
    expect(run({ feodo_listed: true, malware_family: "Emotet" })).toEqual({
      decisions: [
        { technique: "T1071", multiplier: 1, evidence },
        { technique: "T1588", multiplier: 1, evidence },
      ],
    });
  });

  it("prefers feodo_malware_family, omits a non-string family, keeps copied fields", () => {
    const out = run({ feodo_listed: true, feodo_malware_family: "QakBot", malware_family: "Emotet", first_seen_feodo: "2024-01-01" });
    expect(evidenceOf(out, "T1588")).toEqual({ feodo_listed: true, feodo_malware_family: "QakBot", first_seen_feodo: "2024-01-01", malware_family: "QakBot" });
    expect(evidenceOf(run({ feodo_listed: true, malware_family: 3 }), "T1071")).toEqual({ feodo_listed: true });
  });

  it("needs feodo_listed === true: false/missing → null, non-boolean → SKIP", () => {
    expect(run({ feodo_listed: false, malware_family: "Emotet" })).toBeNull();
    expect(run({ malware_family: "Emotet" })).toBeNull();
    expect(run({ feodo_listed: "true" })).toBe(SKIP);
    expect(run({ feodo_listed: 1 })).toBe(SKIP);
  });
});

describe("lifter:intel_threatfox", () => {
  const run = analyzer("lifter:intel_threatfox", ["threatfox_threat_types", "threatfox_ioc_types", "threatfox_malware_families"]);

  it("botnet_cc → T1071 and T1588 with the triggering threat types", () => {
    const out = run({ threatfox_threat_types: ["botnet_cc"], threatfox_malware_families: ["sliver"], threatfox_ioc_types: ["ip:port"] });
    expect(techniques(out)).toEqual([
      ["T1071", 1],
      ["T1588", 1],
    ]);
    expect(evidenceOf(out, "T1071")).toEqual({
      threatfox_threat_types: ["botnet_cc"],
      threatfox_malware_families: ["sliver"],
      threatfox_ioc_types: ["ip:port"],
      threat_types: ["botnet_cc"],
      malware_families: ["sliver"],
      ioc_types: ["ip:port"],
    });
  });

  it("merges threat types per technique and maps every type", () => {
    const out = run({ threatfox_threat_types: ["payload_delivery", "payload", "cc_skimming", "unknown", 5] });
    expect(techniques(out)).toEqual([
      ["T1105", 1],
      ["T1588", 1],
      ["T1056", 1],
    ]);
    expect(evidenceOf(out, "T1588")).toEqual({ threatfox_threat_types: ["payload_delivery", "payload", "cc_skimming", "unknown", 5], threat_types: ["payload_delivery", "payload"] });
  });

  it("accepts threat_type and malware_family strings as one-element lists", () => {
    const out = run({ threat_type: "botnet_cc", malware_family: "Sliver" });
    expect(evidenceOf(out, "T1588")).toEqual({ threat_types: ["botnet_cc"], malware_families: ["Sliver"] });
    expect(techniques(run({ threatfox_threat_types: [], threat_type: "payload" }))).toEqual([["T1588", 1]]);
  });

  it("does not read ioc_type: the seed rows without threat types do not fire", () => {
    expect(run({ ioc_type: "botnet_cc", malware_family: "sliver" })).toBeNull();
    expect(run({ threatfox_ioc_types: ["botnet_cc"] })).toBeNull();
    expect(run({ threat_type: "" })).toBeNull();
    expect(run({ threatfox_threat_types: ["unknown"] })).toBeNull();
  });

  it("threat types neither a list nor a string → SKIP", () => {
    expect(run({ threatfox_threat_types: 5 })).toBe(SKIP);
    expect(run({ threat_type: { botnet_cc: true } })).toBe(SKIP);
  });
});

describe("lifter:intel_aggregate_bump", () => {
  it("never fires", () => {
    const run = analyzer("lifter:intel_aggregate_bump", ["aggregate_verdict", "bumped_rule_ids"], { bump_amount: 0.05 });
    expect(run({})).toBeNull();
    expect(run({ aggregate_verdict: "malicious", bumped_rule_ids: ["R0054"], abuseipdb_score: 100, abuseipdb_categories: [18] })).toBeNull();
  });
});

describe("every intel analyzer", () => {
  it("never throws on odd payloads", () => {
    const odd: Payload[] = [
      {},
      Object.create({ feodo_listed: true, abuseipdb_score: 90, abuseipdb_categories: [18] }) as Payload,
      { abuseipdb_score: NaN, abuseipdb_categories: [18], greynoise_tags: [null, {}, []], threatfox_threat_types: [null, "__proto__"] },
      { greynoise_classification: { toString: 1 }, greynoise_tags: { length: 3 }, threat_type: "constructor", malware_family: ["x", 1] },
    ];
    for (const a of intelAnalyzers) {
      const spec = intelSpecs.find((s) => s.kind === a.kind);
      const config = a.prepare(spec?.params.parse({}));
      for (const p of odd) expect(() => a.evaluate(config, p, ctxFor(["abuseipdb_score"], p))).not.toThrow();
    }
  });
});
