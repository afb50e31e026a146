// DECNET's behavioral analyzer family (analyzers.md §2 rows 8–17): parameter schemas.
// Defaults are upstream's code defaults (used when the key is absent), not the values of
// DECNET's YAML pack, so a rule that omits a list parameter matches nothing.
import { z } from "zod";
import type { AnalyzerSpec } from "./types";

const regexList = (what: string, decnet: string) =>
  z
    .array(z.string())
    .default(() => [])
    .describe(
      `${what} Python \`re\` patterns, case-sensitive unanchored search, tried in list order. Default [] (never fires); DECNET's YAML: ${decnet}`,
    );

export const beaconingParams = z.looseObject({
  min_interval_s: z
    .number()
    .default(0)
    .describe("Smallest beacon_interval_s (seconds) that fires, inclusive (≥). Default 0 (DECNET's YAML: 10)"),
  max_jitter_pct: z
    .number()
    .default(1.0)
    .describe("Largest beacon_jitter_pct that fires, inclusive (≤); a fraction, e.g. 0.15 for 15 %. Default 1.0 (DECNET's YAML: 0.15)"),
});

export const dataDestructionParams = z.looseObject({
  patterns: regexList("Destructive operations searched in op_text ‖ command_text:", "FLUSHALL, DROP\\s+DATABASE, TRUNCATE\\s+TABLE, dropDatabase\\(\\), DELETE\\s+/\\_all"),
});

export const ransomNoteParams = z.looseObject({
  payment_keywords: z
    .array(z.string().min(1, { message: "a keyword must not be empty (it would match every text)" }))
    .default(() => [])
    .describe(
      "Keywords searched case-insensitively as substrings of body_text ‖ note_text; at least one must hit. All hits are reported as matched_keywords. Default [] (never fires); DECNET's YAML: bitcoin, btc, monero, ransom, decrypt",
    ),
  require_btc_or_xmr: z
    .boolean()
    .default(false)
    .describe("Also require a Bitcoin (base58 or bc1 bech32) or Monero address in the text, reported as btc_address (a Monero address too). Default false (DECNET's YAML: true)"),
});

export const exfilOverWebParams = z.looseObject({
  min_payload_bytes: z
    .number()
    .default(0)
    .describe("bytes_out at or above this fires (≥). Default 0 (DECNET's YAML: 1048576)"),
  request_threshold: z
    .number()
    .int()
    .default(0)
    .describe("request_count (an integer) at or above this fires (≥). Default 0 (DECNET's YAML: 50)"),
});

export const dbMassReadParams = z.looseObject({
  min_rows: z
    .number()
    .int()
    .default(0)
    .describe("rows_read (an integer) at or above this fires (≥). Default 0 (DECNET's YAML: 10000)"),
  min_bytes: z
    .number()
    .int()
    .default(0)
    .describe("bytes_read at or above this fires (≥). Default 0 (DECNET's YAML: 5242880)"),
});

export const credentialsInFilesParams = z.looseObject({
  paths: regexList(
    "Credential-file paths searched in matched_path ‖ request_path ‖ path:",
    "\\.env, \\.git/config, \\.aws/credentials, \\.ssh/id_rsa, wp-config\\.php",
  ),
});

export const k8sSaTokenParams = z.looseObject({
  paths: regexList(
    "Kubernetes secret / service-account token paths searched in matched_path ‖ request_path ‖ path:",
    "/api/v1/namespaces/[^/]+/secrets, /var/run/secrets/kubernetes\\.io/serviceaccount",
  ),
});

export const dockerEscapeParams = z.looseObject({
  signals: z
    .array(z.string())
    .default(() => [])
    .describe(
      'Container-escape signals, each compared for exact equality (case-sensitive, no prefix match) with the elements of the payload\'s signals list, e.g. "privileged:true", "bind:/var/run/docker.sock". The first in this list\'s order is reported. Default [] (never fires); DECNET\'s YAML: privileged:true, bind:/:/, bind:/etc, bind:/var/run/docker.sock',
    ),
});

export const llmnrPoisoningParams = z.looseObject({});

export const tftpRouterConfigParams = z.looseObject({
  filename_patterns: regexList("Router configuration file names searched in tftp_filename:", ".*-confg$, .*\\.cfg$, startup-config, running-config"),
});

export const behavioralSpecs: readonly AnalyzerSpec[] = [
  {
    kind: "lifter:behavioral_beaconing",
    family: "behavioral",
    summary:
      "Fires when a session's beacon_interval_s is at least min_interval_s and its beacon_jitter_pct is at most max_jitter_pct (both numbers).",
    params: beaconingParams,
    patternParams: [],
    reads: ["beacon_interval_s", "beacon_jitter_pct"],
  },
  {
    kind: "lifter:behavioral_data_destruction",
    family: "behavioral",
    summary:
      "Fires when one of the patterns is found in op_text (or command_text when op_text is empty); matched_op is the first such pattern.",
    params: dataDestructionParams,
    patternParams: ["patterns"],
    reads: ["op_text", "command_text"],
  },
  {
    kind: "lifter:behavioral_ransom_note",
    family: "behavioral",
    summary:
      "Fires when body_text (or note_text) contains a payment keyword, case-insensitively, and, if require_btc_or_xmr, a Bitcoin or Monero address.",
    params: ransomNoteParams,
    patternParams: [],
    reads: ["body_text", "note_text"],
  },
  {
    kind: "lifter:behavioral_exfil_over_web",
    family: "behavioral",
    summary: "Fires when bytes_out is at least min_payload_bytes or request_count is at least request_threshold.",
    params: exfilOverWebParams,
    patternParams: [],
    reads: ["bytes_out", "request_count"],
  },
  {
    kind: "lifter:behavioral_db_mass_read",
    family: "behavioral",
    summary: "Fires when rows_read is at least min_rows or bytes_read is at least min_bytes.",
    params: dbMassReadParams,
    patternParams: [],
    reads: ["rows_read", "bytes_read"],
  },
  {
    kind: "lifter:behavioral_credentials_in_files",
    family: "behavioral",
    summary:
      "Fires when one of the path patterns is found in matched_path (else request_path, else path); matched_path is that whole path.",
    params: credentialsInFilesParams,
    patternParams: ["paths"],
    reads: ["matched_path", "request_path", "path"],
  },
  {
    kind: "lifter:behavioral_k8s_sa_token",
    family: "behavioral",
    summary:
      "Fires when one of the Kubernetes secret paths is found in matched_path (else request_path, else path); matched_path is that whole path.",
    params: k8sSaTokenParams,
    patternParams: ["paths"],
    reads: ["matched_path", "request_path", "path"],
  },
  {
    kind: "lifter:behavioral_docker_escape",
    family: "behavioral",
    summary: "Fires when the payload's signals list contains one of the configured signals exactly; matched_signal is the first in spec order.",
    params: dockerEscapeParams,
    patternParams: [],
    reads: ["signals"],
  },
  {
    kind: "lifter:behavioral_llmnr_poisoning",
    family: "behavioral",
    summary: "Fires when llmnr_poisoned is true or llmnr_poison_count is at least 1.",
    params: llmnrPoisoningParams,
    patternParams: [],
    reads: ["llmnr_poisoned", "llmnr_poison_count"],
  },
  {
    kind: "lifter:behavioral_tftp_router_config",
    family: "behavioral",
    summary: "Fires when one of the filename patterns is found in a non-empty tftp_filename.",
    params: tftpRouterConfigParams,
    patternParams: ["filename_patterns"],
    reads: ["tftp_filename"],
  },
];
