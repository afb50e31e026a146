import { z } from "zod";
import type { AnalyzerSpec } from "./types";

// Parameters of DECNET's intel analyzers (analyzers.md §2 rows 31-35). None is read upstream: the
// provider mappings are fixed tables (lib/engine/analyzers/intel.ts).

const provider = (name: string) =>
  z.string().optional().describe(`Unused upstream; accepted. DECNET's YAML: "${name}"`);

export const AbuseipdbParams = z.looseObject({ provider: provider("abuseipdb") });
export type AbuseipdbParams = z.output<typeof AbuseipdbParams>;

export const GreynoiseParams = z.looseObject({ provider: provider("greynoise") });
export type GreynoiseParams = z.output<typeof GreynoiseParams>;

export const FeodoParams = z.looseObject({ provider: provider("feodo") });
export type FeodoParams = z.output<typeof FeodoParams>;

export const ThreatfoxParams = z.looseObject({ provider: provider("threatfox") });
export type ThreatfoxParams = z.output<typeof ThreatfoxParams>;

export const AggregateBumpParams = z.looseObject({
  bump_amount: z
    .number()
    .optional()
    .describe("Unused upstream; accepted (no analyzer raises other tags' confidence). DECNET's YAML: 0.05"),
});
export type AggregateBumpParams = z.output<typeof AggregateBumpParams>;

export const intelSpecs: readonly AnalyzerSpec[] = [
  {
    kind: "lifter:intel_abuseipdb",
    family: "intel",
    summary:
      "Tags the techniques AbuseIPDB's report categories map to, confidence scaled by abuseipdb_score/100 (category 11 → T1566 only at score ≥ 80).",
    params: AbuseipdbParams,
    patternParams: [],
    reads: ["abuseipdb_score", "abuseipdb_categories", "categories"],
  },
  {
    kind: "lifter:intel_greynoise",
    family: "intel",
    summary:
      'Tags techniques from GreyNoise: classification "scanner" (T1595), known tags (Tor, brute force, C2 frameworks), and bare "malicious" (T1071 at half confidence).',
    params: GreynoiseParams,
    patternParams: [],
    reads: ["greynoise_classification", "greynoise_tags"],
  },
  {
    kind: "lifter:intel_feodo",
    family: "intel",
    summary: "Tags T1071 and T1588 when the source is on the Feodo Tracker botnet C2 list (feodo_listed === true).",
    params: FeodoParams,
    patternParams: [],
    reads: ["feodo_listed", "feodo_malware_family", "malware_family"],
  },
  {
    kind: "lifter:intel_threatfox",
    family: "intel",
    summary: "Tags the techniques ThreatFox threat types map to (botnet_cc, payload_delivery, payload, cc_skimming).",
    params: ThreatfoxParams,
    patternParams: [],
    reads: ["threatfox_threat_types", "threat_type", "threatfox_malware_families", "malware_family", "threatfox_ioc_types"],
  },
  {
    kind: "lifter:intel_aggregate_bump",
    family: "intel",
    summary: "Never fires: upstream's aggregate bump is inert (kept so DECNET's R0058 loads).",
    params: AggregateBumpParams,
    patternParams: [],
    reads: [],
  },
];
