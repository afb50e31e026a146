// DECNET's canary-fingerprint analyzers (analyzers.md §2 rows 26-30), re-implemented from the
// behavioural specification. Evidence is exactly {metric, matched_signature}: evidence_fields are
// ignored so raw fingerprints never reach a tag.
import type {
  AutomationHashParams,
  PlatformInconsistencyParams,
  TzLangMismatchParams,
  WebdriverParams,
  WebrtcLeakParams,
} from "../../rules/analyzers/canary";
import { isInt, isStr, own, present, pyOr } from "./py";
import { SKIP, type Analyzer, type AnalyzerOutcome, type Fire, type Payload } from "./types";

function fire(metric: string, matchedSignature: string): Fire {
  return { evidence: { metric, matched_signature: matchedSignature } };
}

type Flag = "true" | "other" | "ill-typed";

/** A flag fires only on the boolean true itself; a present non-boolean is ill-typed. */
function flag(payload: Payload, key: string): Flag {
  const v = own(payload, key);
  if (v === true) return "true";
  return present(v) && typeof v !== "boolean" ? "ill-typed" : "other";
}

/** One flag analyzer: the first flag that is true fires its signal; none → SKIP if one was ill-typed. */
function firstFlag(payload: Payload, lanes: readonly (readonly [key: string, metric: string, signature: string])[]): AnalyzerOutcome {
  let illTyped = false;
  for (const [key, metric, signature] of lanes) {
    const f = flag(payload, key);
    if (f === "true") return fire(metric, signature);
    if (f === "ill-typed") illTyped = true;
  }
  return illTyped ? SKIP : null;
}

/** Python's str() of an int, also for magnitudes where JS would switch to exponent notation. */
function intText(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

const webdriver: Analyzer<WebdriverParams, null> = {
  kind: "lifter:canary_webdriver",
  family: "canary",
  prepare: () => null,
  evaluate: (_config, payload) => firstFlag(payload, [["navigator_webdriver", "navigator_webdriver", "navigator.webdriver_true"]]),
};

interface AutomationHashConfig {
  /** Empty: any tool. */
  readonly catalogue: ReadonlySet<string>;
}

const automationHash: Analyzer<AutomationHashParams, AutomationHashConfig> = {
  kind: "lifter:canary_automation_hash",
  family: "canary",
  prepare: (params) => ({ catalogue: new Set(params.catalogues) }),
  evaluate(config, payload): AnalyzerOutcome {
    const tool = pyOr(own(payload, "canvas_audio_hash_match"), own(payload, "matched_tool"));
    if (!present(tool)) return null;
    if (!isStr(tool)) return SKIP;
    // Upstream accepts "" when the catalogue is empty; an empty match is no match here.
    if (tool === "") return null;
    if (config.catalogue.size > 0 && !config.catalogue.has(tool)) return null;
    return fire("canvas_audio_hash", tool);
  },
};

const webrtcLeak: Analyzer<WebrtcLeakParams, null> = {
  kind: "lifter:canary_webrtc_leak",
  family: "canary",
  prepare: () => null,
  evaluate: (_config, payload) => firstFlag(payload, [["webrtc_geo_mismatch", "webrtc_geo_mismatch", "webrtc_private_vs_source_ip"]]),
};

/** Upstream's hard-coded threshold: timezone offsets this many zones away from the source IP's. */
const TZ_MISMATCH_MIN_ZONES = 3;

const tzLangMismatch: Analyzer<TzLangMismatchParams, null> = {
  kind: "lifter:canary_tz_lang_mismatch",
  family: "canary",
  prepare: () => null,
  evaluate(_config, payload): AnalyzerOutcome {
    const zones = own(payload, "tz_mismatch_zones");
    if (isInt(zones) && zones >= TZ_MISMATCH_MIN_ZONES) return fire("timezone_geo_mismatch", `tz_zones>=${intText(zones)}`);
    // The language lane runs when the timezone lane does not fire, even on an ill-typed zone count.
    const lang = firstFlag(payload, [["lang_country_mismatch", "language_country_mismatch", "lang_vs_source_country"]]);
    if (lang !== null) return lang;
    return present(zones) && !isInt(zones) ? SKIP : null;
  },
};

const platformInconsistency: Analyzer<PlatformInconsistencyParams, null> = {
  kind: "lifter:canary_platform_inconsistency",
  family: "canary",
  prepare: () => null,
  evaluate: (_config, payload) =>
    firstFlag(payload, [
      ["platform_ua_inconsistent", "platform_ua_mismatch", "navigator.platform_vs_userAgent"],
      ["ua_webgl_mismatch", "ua_webgl_mismatch", "userAgent_vs_webgl_renderer"],
    ]),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of predicates, each typed by its own schema
export const canaryAnalyzers: readonly Analyzer<any, any>[] = [webdriver, automationHash, webrtcLeak, tzLangMismatch, platformInconsistency];
