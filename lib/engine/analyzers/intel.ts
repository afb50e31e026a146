// DECNET's intel analyzers (analyzers.md §2 rows 31-35, §2.3, §3.4, §3.7), re-implemented from the
// behavioural specification. Each returns one decision per technique; the engine tags only the
// rule's emits entries whose technique_id equals a decision's technique.
import type {
  AbuseipdbParams,
  AggregateBumpParams,
  FeodoParams,
  GreynoiseParams,
  ThreatfoxParams,
} from "../../rules/analyzers/intel";
import { isNonEmptyStr, isNum, isStr, own, present, pyOr, stringsOf } from "./py";
import { SKIP, type Analyzer, type AnalyzerContext, type AnalyzerOutcome, type Decision } from "./types";

// ---- Provider mappings -------------------------------------------------------------------------
// Facts taken from DECNET's packaged intel mappings (decnet/ttp/data/intel/{abuseipdb,greynoise,
// feodo,threatfox}.yaml at 4nt11/DECNET a9a86c9), as listed in analyzers.md §2.3. Their per-signal
// `confidence_multiplier` is unused upstream and is not carried.

interface AbuseipdbTarget {
  readonly technique: string;
  /** The category maps to this technique only when the score is at least this. */
  readonly minScore?: number;
}

/** AbuseIPDB report category → techniques (mapping_version "2"); 4, 10, 12 and unlisted categories are unmapped. */
export const ABUSEIPDB_CATEGORY_TECHNIQUES: ReadonlyMap<number, readonly AbuseipdbTarget[]> = new Map<number, readonly AbuseipdbTarget[]>([
  [5, [{ technique: "T1110" }]], // FTP Brute-Force
  [7, [{ technique: "T1566" }]], // Phishing
  [9, [{ technique: "T1090" }]], // Open Proxy
  [11, [{ technique: "T1566", minScore: 80 }, { technique: "T1496" }]], // Email Spam
  [13, [{ technique: "T1090" }]], // VPN IP
  [14, [{ technique: "T1046" }, { technique: "T1595" }]], // Port Scan
  [15, [{ technique: "T1190" }]], // Hacking
  [16, [{ technique: "T1190" }]], // SQL Injection
  [17, [{ technique: "T1566" }]], // Spoofing
  [18, [{ technique: "T1110" }]], // Brute-Force
  [19, [{ technique: "T1595" }]], // Bad Web Bot
  [20, [{ technique: "T1078" }]], // Exploited Host
  [21, [{ technique: "T1190" }]], // Web App Attack
  [22, [{ technique: "T1110" }]], // SSH
  [23, [{ technique: "T1190" }]], // IoT Targeted
]);

/** GreyNoise tag (exact, case-sensitive) → techniques. */
export const GREYNOISE_TAG_TECHNIQUES: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ["tor_exit_node", ["T1090"]],
  ["ssh_bruteforcer", ["T1110"]],
  ["web_crawler", ["T1595"]],
  ["cobalt_strike", ["T1071", "T1588"]],
  ["metasploit", ["T1071", "T1588"]],
  ["sliver", ["T1071", "T1588"]],
  ["havoc", ["T1071", "T1588"]],
]);

/** GreyNoise lanes that are constants in upstream's code rather than mapping data. */
const GREYNOISE_SCANNER = { classification: "scanner", technique: "T1595", multiplier: 1.0 } as const;
const GREYNOISE_BARE_MALICIOUS = { classification: "malicious", technique: "T1071", multiplier: 0.5 } as const;

/** Feodo Tracker listing → techniques. */
export const FEODO_TECHNIQUES: readonly string[] = ["T1071", "T1588"];

/** ThreatFox threat type → techniques. */
export const THREATFOX_THREAT_TYPE_TECHNIQUES: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ["botnet_cc", ["T1071", "T1588"]],
  ["payload_delivery", ["T1105", "T1588"]],
  ["payload", ["T1588"]],
  ["cc_skimming", ["T1056"]],
]);

// ---- Helpers -----------------------------------------------------------------------------------

/**
 * Signals collected per technique, in first-hit order; a later hit raises the multiplier only when
 * strictly higher. Parallel arrays, allocated on the first hit: an event hits a few techniques at most.
 */
class TechniqueHits<S> {
  private techniques: string[] | null = null;
  private multipliers: number[] = [];
  private signals: S[][] = [];

  has(technique: string): boolean {
    return this.techniques !== null && this.techniques.includes(technique);
  }

  add(technique: string, signal: S, multiplier: number): void {
    const techniques = (this.techniques ??= []);
    const i = techniques.indexOf(technique);
    if (i < 0) {
      techniques.push(technique);
      this.multipliers.push(multiplier);
      this.signals.push([signal]);
      return;
    }
    (this.signals[i] as S[]).push(signal);
    if (multiplier > (this.multipliers[i] as number)) this.multipliers[i] = multiplier;
  }

  decisions(ctx: AnalyzerContext, extras: (signals: S[]) => Record<string, unknown>): AnalyzerOutcome {
    const techniques = this.techniques;
    if (techniques === null) return null;
    const decisions: Decision[] = [];
    for (let i = 0; i < techniques.length; i++) {
      // As {...copied, ...extras}: an extras key also among the copied fields keeps its place, with the extras' value.
      decisions.push({ technique: techniques[i] as string, multiplier: this.multipliers[i] as number, evidence: Object.assign(ctx.copied(), extras(this.signals[i] as S[])) });
    }
    return { decisions };
  }
}

/** Python's int() of a finite float: truncation toward zero, without a negative zero. */
function truncate(n: number): number {
  return Math.trunc(n) + 0;
}

/** A list of strings, or a non-empty string taken as a one-element list; null for any other shape. */
function stringList(v: unknown): string[] | null {
  if (isNonEmptyStr(v)) return [v];
  return stringsOf(v);
}

// ---- Analyzers ---------------------------------------------------------------------------------

const abuseipdb: Analyzer<AbuseipdbParams, null> = {
  kind: "lifter:intel_abuseipdb",
  family: "intel",
  prepare: () => null,
  evaluate(_config, payload, ctx): AnalyzerOutcome {
    const score = own(payload, "abuseipdb_score");
    const categories = pyOr(own(payload, "abuseipdb_categories"), own(payload, "categories"));
    // A non-finite score (impossible in JSON) would make upstream's truncation raise: ill-typed.
    if ((present(score) && !(isNum(score) && Number.isFinite(score))) || (present(categories) && !Array.isArray(categories))) {
      return SKIP;
    }
    if (!isNum(score) || !Array.isArray(categories)) return null;
    const hits = new TechniqueHits<number>();
    const multiplier = score / 100; // unclamped, as upstream: the engine clips base × multiplier
    // Plain loops without a call or an allocation per element: a list can hold ~20,000 entries
    // (64 KiB), and a rarely seen shape runs before the JIT has optimised this code.
    for (let i = 0; i < categories.length; i++) {
      const category: unknown = categories[i];
      if (typeof category !== "number" || !Number.isInteger(category)) continue;
      const targets = ABUSEIPDB_CATEGORY_TECHNIQUES.get(category);
      if (targets === undefined) continue;
      for (let t = 0; t < targets.length; t++) {
        const target = targets[t] as (typeof targets)[number];
        if (target.minScore !== undefined && score < target.minScore) continue;
        hits.add(target.technique, category, multiplier);
      }
    }
    const abuseConfidenceScore = truncate(score);
    return hits.decisions(ctx, (triggered) => ({ abuseipdb_categories: triggered, abuse_confidence_score: abuseConfidenceScore }));
  },
};

const greynoise: Analyzer<GreynoiseParams, null> = {
  kind: "lifter:intel_greynoise",
  family: "intel",
  prepare: () => null,
  evaluate(_config, payload, ctx): AnalyzerOutcome {
    const classification = own(payload, "greynoise_classification");
    const rawTags = own(payload, "greynoise_tags");
    const tags = stringsOf(rawTags) ?? []; // a non-list is ignored
    const hits = new TechniqueHits<string>();
    if (classification === GREYNOISE_SCANNER.classification) {
      hits.add(GREYNOISE_SCANNER.technique, GREYNOISE_SCANNER.classification, GREYNOISE_SCANNER.multiplier);
    }
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as string;
      const techniques = GREYNOISE_TAG_TECHNIQUES.get(tag);
      if (techniques !== undefined) for (let t = 0; t < techniques.length; t++) hits.add(techniques[t] as string, tag, 1.0);
    }
    // Bare malicious: only when nothing else already tagged T1071, whatever else fired.
    if (classification === GREYNOISE_BARE_MALICIOUS.classification && !hits.has(GREYNOISE_BARE_MALICIOUS.technique)) {
      hits.add(GREYNOISE_BARE_MALICIOUS.technique, GREYNOISE_BARE_MALICIOUS.classification, GREYNOISE_BARE_MALICIOUS.multiplier);
    }
    const outcome = hits.decisions(ctx, (signals) => ({ greynoise_classification: classification ?? null, greynoise_tags: signals }));
    if (outcome !== null) return outcome;
    return (present(classification) && !isStr(classification)) || (present(rawTags) && !Array.isArray(rawTags)) ? SKIP : null;
  },
};

const feodo: Analyzer<FeodoParams, null> = {
  kind: "lifter:intel_feodo",
  family: "intel",
  prepare: () => null,
  evaluate(_config, payload, ctx): AnalyzerOutcome {
    const listed = own(payload, "feodo_listed");
    if (present(listed) && typeof listed !== "boolean") return SKIP;
    if (listed !== true) return null;
    const family = pyOr(own(payload, "feodo_malware_family"), own(payload, "malware_family"));
    const extras: Record<string, unknown> = { feodo_listed: true };
    if (isNonEmptyStr(family)) extras.malware_family = family;
    return {
      decisions: FEODO_TECHNIQUES.map((technique) => ({ technique, multiplier: 1.0, evidence: Object.assign(ctx.copied(), extras) })),
    };
  },
};

const threatfox: Analyzer<ThreatfoxParams, null> = {
  kind: "lifter:intel_threatfox",
  family: "intel",
  prepare: () => null,
  evaluate(_config, payload, ctx): AnalyzerOutcome {
    const rawThreatTypes = pyOr(own(payload, "threatfox_threat_types"), own(payload, "threat_type"));
    const threatTypes = stringList(rawThreatTypes);
    if (threatTypes === null) return present(rawThreatTypes) && rawThreatTypes !== "" ? SKIP : null;
    const hits = new TechniqueHits<string>();
    for (let i = 0; i < threatTypes.length; i++) {
      const type = threatTypes[i] as string;
      const techniques = THREATFOX_THREAT_TYPE_TECHNIQUES.get(type);
      if (techniques !== undefined) for (let t = 0; t < techniques.length; t++) hits.add(techniques[t] as string, type, 1.0);
    }
    const malwareFamilies = stringList(pyOr(own(payload, "threatfox_malware_families"), own(payload, "malware_family"))) ?? [];
    const iocTypes = stringsOf(own(payload, "threatfox_ioc_types")) ?? [];
    return hits.decisions(ctx, (triggered) => {
      const extras: Record<string, unknown> = { threat_types: triggered };
      if (malwareFamilies.length > 0) extras.malware_families = malwareFamilies;
      if (iocTypes.length > 0) extras.ioc_types = iocTypes;
      return extras;
    });
  },
};

const aggregateBump: Analyzer<AggregateBumpParams, null> = {
  kind: "lifter:intel_aggregate_bump",
  family: "intel",
  prepare: () => null,
  // Upstream's aggregate bump returns no decisions and touches no other tag.
  evaluate: () => null,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of predicates, each typed by its own schema
export const intelAnalyzers: readonly Analyzer<any, any>[] = [abuseipdb, greynoise, feodo, threatfox, aggregateBump];
