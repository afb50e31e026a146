import { describe, expect, it } from "vitest";
import { canarySpecs } from "../../rules/analyzers/canary";
import { canaryAnalyzers } from "./canary";
import { testContext } from "./testing/context";
import { SKIP, type Payload } from "./types";

const ctxFor = testContext;

/** evidence_fields are ignored by canary analyzers: the context offers some to prove it. */
function analyzer(kind: string, params: Record<string, unknown> = {}) {
  const spec = canarySpecs.find((s) => s.kind === kind);
  const a = canaryAnalyzers.find((x) => x.kind === kind);
  if (!spec || !a) throw new Error(`no ${kind}`);
  const config = a.prepare(spec.params.parse(params));
  return (payload: Payload) => a.evaluate(config, payload, ctxFor(["ua_signature", "navigator_webdriver", "tz_mismatch_zones"], payload));
}

const ev = (metric: string, matched_signature: string) => ({ evidence: { metric, matched_signature } });

describe("canary specs", () => {
  it("lists the five kinds with defaults", () => {
    expect(canarySpecs.map((s) => s.kind)).toEqual([
      "lifter:canary_webdriver",
      "lifter:canary_automation_hash",
      "lifter:canary_webrtc_leak",
      "lifter:canary_tz_lang_mismatch",
      "lifter:canary_platform_inconsistency",
    ]);
    expect(canaryAnalyzers.map((a) => a.kind)).toEqual(canarySpecs.map((s) => s.kind));
    expect(canarySpecs[0]?.params.parse({ signal: "navigator.webdriver_true" })).toEqual({ signal: "navigator.webdriver_true" });
    expect(canarySpecs[1]?.params.parse({})).toEqual({ catalogues: [] });
    expect(canarySpecs[1]?.params.safeParse({ catalogues: "puppeteer" }).success).toBe(false);
    expect(canarySpecs[2]?.params.parse({ require_geo_mismatch: true })).toEqual({ require_geo_mismatch: true });
  });
});

describe("lifter:canary_webdriver", () => {
  const run = analyzer("lifter:canary_webdriver");
  it("fires on navigator_webdriver === true with exactly {metric, matched_signature}", () => {
    expect(run({ ua_signature: "HeadlessChrome/119", navigator_webdriver: true })).toEqual(ev("navigator_webdriver", "navigator.webdriver_true"));
  });
  it("false/missing → null, non-boolean → SKIP", () => {
    expect(run({ navigator_webdriver: false })).toBeNull();
    expect(run({ ua_signature: "x" })).toBeNull();
    expect(run({ navigator_webdriver: "true" })).toBe(SKIP);
    expect(run({ navigator_webdriver: 1 })).toBe(SKIP);
  });
});

describe("lifter:canary_automation_hash", () => {
  const DECNET = ["puppeteer", "playwright", "selenium", "curl_impersonate"];
  const run = analyzer("lifter:canary_automation_hash", { catalogues: DECNET });

  it("fires on an exact catalogue member (canvas_audio_hash_match ‖ matched_tool)", () => {
    expect(run({ canvas_audio_hash_match: "puppeteer" })).toEqual(ev("canvas_audio_hash", "puppeteer"));
    expect(run({ canvas_audio_hash_match: "", matched_tool: "selenium" })).toEqual(ev("canvas_audio_hash", "selenium"));
    expect(run({ canvas_audio_hash_match: 0, matched_tool: "playwright" })).toEqual(ev("canvas_audio_hash", "playwright"));
    expect(run({ canvas_audio_hash_match: "Puppeteer" })).toBeNull();
    expect(run({ canvas_audio_hash_match: "phantomjs" })).toBeNull();
  });

  it("accepts any tool with the code default (empty catalogue), but not an empty one", () => {
    const any = analyzer("lifter:canary_automation_hash");
    expect(any({ matched_tool: "phantomjs" })).toEqual(ev("canvas_audio_hash", "phantomjs"));
    expect(any({ canvas_audio_hash_match: "", matched_tool: "" })).toBeNull();
  });

  it("missing → null, non-string → SKIP", () => {
    expect(run({})).toBeNull();
    expect(run({ canvas_audio_hash_match: null })).toBeNull();
    expect(run({ canvas_audio_hash_match: ["puppeteer"] })).toBe(SKIP);
    expect(run({ matched_tool: 3 })).toBe(SKIP);
  });
});

describe("lifter:canary_webrtc_leak", () => {
  const run = analyzer("lifter:canary_webrtc_leak");
  it("fires on webrtc_geo_mismatch === true only", () => {
    expect(run({ webrtc_geo_mismatch: true })).toEqual(ev("webrtc_geo_mismatch", "webrtc_private_vs_source_ip"));
    expect(run({ webrtc_geo_mismatch: false })).toBeNull();
    expect(run({})).toBeNull();
    expect(run({ webrtc_geo_mismatch: "yes" })).toBe(SKIP);
  });
});

describe("lifter:canary_tz_lang_mismatch", () => {
  const run = analyzer("lifter:canary_tz_lang_mismatch");

  it("fires at tz_mismatch_zones >= 3 with the zone count in the signature", () => {
    expect(run({ tz_mismatch_zones: 7 })).toEqual(ev("timezone_geo_mismatch", "tz_zones>=7"));
    expect(run({ tz_mismatch_zones: 3 })).toEqual(ev("timezone_geo_mismatch", "tz_zones>=3"));
    expect(run({ tz_mismatch_zones: 2 })).toBeNull();
    expect(run({ tz_mismatch_zones: 1 })).toBeNull();
    expect(run({ tz_mismatch_zones: 1e21 })).toEqual(ev("timezone_geo_mismatch", "tz_zones>=1000000000000000000000"));
  });

  it("the timezone lane wins; the language lane fires otherwise", () => {
    expect(run({ tz_mismatch_zones: 5, lang_country_mismatch: true })).toEqual(ev("timezone_geo_mismatch", "tz_zones>=5"));
    expect(run({ tz_mismatch_zones: 1, lang_country_mismatch: true })).toEqual(ev("language_country_mismatch", "lang_vs_source_country"));
    expect(run({ lang_country_mismatch: true })).toEqual(ev("language_country_mismatch", "lang_vs_source_country"));
    expect(run({ tz_mismatch_zones: "7", lang_country_mismatch: true })).toEqual(ev("language_country_mismatch", "lang_vs_source_country"));
  });

  it("ill-typed with no lane firing → SKIP; missing → null", () => {
    expect(run({})).toBeNull();
    expect(run({ lang_country_mismatch: false })).toBeNull();
    expect(run({ tz_mismatch_zones: "7" })).toBe(SKIP);
    expect(run({ tz_mismatch_zones: true })).toBe(SKIP);
    expect(run({ tz_mismatch_zones: 7.5 })).toBe(SKIP);
    expect(run({ tz_mismatch_zones: 1, lang_country_mismatch: "yes" })).toBe(SKIP);
  });
});

describe("lifter:canary_platform_inconsistency", () => {
  const run = analyzer("lifter:canary_platform_inconsistency");
  it("platform lane first, then the WebGL lane", () => {
    expect(run({ platform_ua_inconsistent: true, ua_webgl_mismatch: true })).toEqual(ev("platform_ua_mismatch", "navigator.platform_vs_userAgent"));
    expect(run({ platform_ua_inconsistent: false, ua_webgl_mismatch: true })).toEqual(ev("ua_webgl_mismatch", "userAgent_vs_webgl_renderer"));
    expect(run({ platform_ua_inconsistent: "x", ua_webgl_mismatch: true })).toEqual(ev("ua_webgl_mismatch", "userAgent_vs_webgl_renderer"));
  });
  it("neither → null, ill-typed → SKIP", () => {
    expect(run({})).toBeNull();
    expect(run({ platform_ua_inconsistent: false, ua_webgl_mismatch: false })).toBeNull();
    expect(run({ ua_webgl_mismatch: 1 })).toBe(SKIP);
  });
});
