import { z } from "zod";
import type { AnalyzerSpec } from "./types";

// Parameters of DECNET's canary-fingerprint analyzers (analyzers.md §2 rows 26-30). Defaults are
// upstream's code defaults for an absent key; the descriptions give DECNET's YAML value.

export const WebdriverParams = z.looseObject({
  signal: z
    .string()
    .optional()
    .describe('Unused upstream; accepted. DECNET\'s YAML: "navigator.webdriver_true"'),
});
export type WebdriverParams = z.output<typeof WebdriverParams>;

export const AutomationHashParams = z.looseObject({
  catalogues: z
    .array(z.string())
    .default([])
    .describe(
      "Tool names the canvas/audio hash match must equal exactly (case-sensitive); an empty list accepts any tool. " +
        "Default [] (any); DECNET's YAML: [puppeteer, playwright, selenium, curl_impersonate]",
    ),
});
export type AutomationHashParams = z.output<typeof AutomationHashParams>;

export const WebrtcLeakParams = z.looseObject({
  require_geo_mismatch: z
    .boolean()
    .optional()
    .describe("Unused upstream; accepted (webrtc_geo_mismatch must always be true). DECNET's YAML: true"),
});
export type WebrtcLeakParams = z.output<typeof WebrtcLeakParams>;

export const TzLangMismatchParams = z.looseObject({});
export type TzLangMismatchParams = z.output<typeof TzLangMismatchParams>;

export const PlatformInconsistencyParams = z.looseObject({});
export type PlatformInconsistencyParams = z.output<typeof PlatformInconsistencyParams>;

export const canarySpecs: readonly AnalyzerSpec[] = [
  {
    kind: "lifter:canary_webdriver",
    family: "canary",
    summary: "Fires when the canary page saw navigator.webdriver === true (automated browser, T1059).",
    params: WebdriverParams,
    patternParams: [],
    reads: ["navigator_webdriver"],
  },
  {
    kind: "lifter:canary_automation_hash",
    family: "canary",
    summary: "Fires when the canvas/audio hash matched a known automation tool listed in catalogues (T1059, T1588.002).",
    params: AutomationHashParams,
    patternParams: [],
    reads: ["canvas_audio_hash_match", "matched_tool"],
  },
  {
    kind: "lifter:canary_webrtc_leak",
    family: "canary",
    summary: "Fires when a WebRTC-leaked address disagrees with the source IP's geolocation (proxy use, T1090).",
    params: WebrtcLeakParams,
    patternParams: [],
    reads: ["webrtc_geo_mismatch"],
  },
  {
    kind: "lifter:canary_tz_lang_mismatch",
    family: "canary",
    summary: "Fires when the browser timezone is 3 or more zones off the source IP's, else when its language mismatches the country (T1090).",
    params: TzLangMismatchParams,
    patternParams: [],
    reads: ["tz_mismatch_zones", "lang_country_mismatch"],
  },
  {
    kind: "lifter:canary_platform_inconsistency",
    family: "canary",
    summary: "Fires when navigator.platform contradicts the user agent, else when the user agent contradicts the WebGL renderer (T1036).",
    params: PlatformInconsistencyParams,
    patternParams: [],
    reads: ["platform_ua_inconsistent", "ua_webgl_mismatch"],
  },
];
