import { behavioralSpecs } from "./behavioral";
import { canarySpecs } from "./canary";
import { credentialSpecs } from "./credential";
import { emailSpecs } from "./email";
import { identitySpecs } from "./identity";
import { intelSpecs } from "./intel";
import { ipv6Specs } from "./ipv6";
import { ANALYZER_FAMILIES, type AnalyzerFamily, type AnalyzerSpec } from "./types";

export { ANALYZER_FAMILIES, type AnalyzerFamily, type AnalyzerSpec };

/** Every `lifter:` kind this project evaluates (DECNET's, but the http-fingerprint family), by kind. */
export const ANALYZER_SPECS: ReadonlyMap<string, AnalyzerSpec> = new Map(
  [...behavioralSpecs, ...intelSpecs, ...canarySpecs, ...emailSpecs, ...identitySpecs, ...credentialSpecs, ...ipv6Specs].map((s) => [s.kind, s] as const),
);

/** The parameter schema and documentation of a kind, or undefined for a kind no analyzer evaluates. */
export function analyzerSpec(kind: string): AnalyzerSpec | undefined {
  return ANALYZER_SPECS.get(kind);
}
