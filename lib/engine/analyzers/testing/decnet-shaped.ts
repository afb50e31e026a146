// DECNET-shaped analyzer rules for the parity suite (parity.test.ts) and the engine benchmark
// (bench/engine.ts, figure (d)). One rule per `lifter:` kind of DECNET's pack, written here from
// the facts of the behavioural specification (/work/shared/decnet/analyzers.md §2 table): rule
// ids and versions (tag UUIDs derive from them), kind, the YAML parameter values (the Params
// column, after the arrow), applies_to, emits (technique, sub-technique, tactic, confidence) and
// the evidence_fields named in the Evidence column and §2.1. Names and descriptions are our own;
// no text of upstream's rule files is reproduced.

/** [technique_id, sub_technique_id or null, tactic, confidence]. */
type EmitFact = readonly [technique: string, sub: string | null, tactic: string, confidence: number];

export interface DecnetShapedFact {
  readonly ruleId: string;
  readonly version: number;
  readonly name: string;
  readonly description: string;
  readonly appliesTo: readonly string[];
  readonly kind: string;
  /** Parameters under `match:` besides `kind`, as DECNET's pack sets them. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly emits: readonly EmitFact[];
  readonly evidenceFields: readonly string[];
}

const fact = (
  ruleId: string,
  version: number,
  name: string,
  description: string,
  appliesTo: readonly string[],
  kind: string,
  params: Record<string, unknown>,
  emits: readonly EmitFact[],
  evidenceFields: readonly string[],
): DecnetShapedFact => ({ ruleId, version, name, description, appliesTo, kind, params, emits, evidenceFields });

export const DECNET_SHAPED_FACTS: readonly DecnetShapedFact[] = [
  // ---- credential / identity (§2 rows 1–6) ----
  fact("R0001", 1, "auth_failures_over_threshold", "Many failed logins counted by the sensor for one source: brute force.", ["auth_attempt"],
    "lifter:credential_auth_brute_generic", { fail_threshold: 5, window_minutes: 5 }, [["T1110", null, "TA0006", 0.85]], ["fail_count", "service"]),
  fact("R0002", 1, "many_passwords_one_user", "One account tried with many distinct passwords.", ["auth_attempt"],
    "lifter:credential_password_guessing", { pw_threshold: 5, window_minutes: 5 }, [["T1110", "T1110.001", "TA0006", 0.85]], ["username", "password_count"]),
  fact("R0003", 1, "one_password_many_accounts", "A single password hash sprayed over several accounts of one identity.", ["identity"],
    "lifter:identity_password_spraying", { account_threshold: 3 }, [["T1110", "T1110.003", "TA0006", 0.9]], ["shared_password_hash", "account_count"]),
  fact("R0004", 1, "credential_seen_again", "A captured credential presented again.", ["credential"],
    "lifter:credential_reuse", {}, [["T1110", "T1110.004", "TA0006", 0.9]], ["credential_hash", "reuse_count"]),
  fact("R0005", 1, "login_after_brute_force", "A successful login that follows a brute-force run.", ["auth_attempt"],
    "lifter:credential_valid_account_use", { require_prior_brute: true }, [["T1078", null, "TA0001", 0.7]], ["username", "service"]),
  fact("R0006", 1, "factory_default_login", "Login with a well-known vendor default username and password.", ["auth_attempt"],
    "lifter:credential_default_credentials",
    { pairs: [["root", "root"], ["admin", "admin"], ["admin", "password"], ["root", ""], ["pi", "raspberry"]] },
    [["T1078", "T1078.001", "TA0001", 0.9]], ["username", "service"]),

  // ---- R0030: a kind no analyzer owns (§2 row 7): stored, never fires ----
  fact("R0030", 1, "c2_framework_fingerprint", "TLS/SSH fingerprints of known C2 frameworks (no analyzer evaluates this kind).", ["session"],
    "lifter:c2_fingerprint", { catalogues: ["jarm", "hassh"] },
    [["T1071", null, "TA0011", 0.85], ["T1071", "T1071.001", "TA0011", 0.9]], ["jarm", "hassh", "matched_framework"]),

  // ---- behavioral (§2 rows 8–17) ----
  fact("R0031", 1, "regular_low_jitter_callbacks", "Callbacks at a steady interval with little jitter.", ["session"],
    "lifter:behavioral_beaconing", { min_interval_s: 10, max_jitter_pct: 0.15 },
    [["T1071", null, "TA0011", 0.8], ["T1029", null, "TA0011", 0.85]], ["beacon_interval_s", "beacon_jitter_pct"]),
  fact("R0032", 1, "destructive_datastore_op", "Wiping commands against Redis, SQL, MongoDB or Elasticsearch.", ["session"],
    "lifter:behavioral_data_destruction",
    { patterns: ["FLUSHALL", "DROP\\s+DATABASE", "TRUNCATE\\s+TABLE", "dropDatabase\\(\\)", "DELETE\\s+/\\_all"] },
    [["T1485", null, "TA0040", 0.95]], ["matched_op", "target"]),
  fact("R0033", 1, "crypto_ransom_demand", "A payment demand naming a cryptocurrency and carrying a wallet address.", ["session", "email"],
    "lifter:behavioral_ransom_note", { payment_keywords: ["bitcoin", "btc", "monero", "ransom", "decrypt"], require_btc_or_xmr: true },
    [["T1486", null, "TA0040", 0.9]], ["btc_address", "matched_keywords"]),
  fact("R0034", 1, "bulk_upload_over_http", "Large outbound volume or a burst of requests to one web host.", ["session"],
    "lifter:behavioral_exfil_over_web", { min_payload_bytes: 1048576, request_threshold: 50 },
    [["T1567", null, "TA0010", 0.85]], ["bytes_out", "request_count", "target_host"]),
  fact("R0035", 1, "database_bulk_dump", "Many rows or many bytes read from a decoy database.", ["session"],
    "lifter:behavioral_db_mass_read", { min_rows: 10000, min_bytes: 5242880 },
    [["T1213", null, "TA0009", 0.85]], ["service", "rows_read", "bytes_read"]),
  fact("R0036", 1, "secret_file_fetch", "Reads of dotenv, git, cloud or SSH credential files.", ["session", "http_request"],
    "lifter:behavioral_credentials_in_files",
    { paths: ["\\.env", "\\.git/config", "\\.aws/credentials", "\\.ssh/id_rsa", "wp-config\\.php"] },
    [["T1552", "T1552.001", "TA0006", 0.9]], ["matched_path"]),
  fact("R0037", 1, "kubernetes_secret_access", "Listing cluster secrets or reading a pod's service-account token.", ["session", "http_request"],
    "lifter:behavioral_k8s_sa_token",
    { paths: ["/api/v1/namespaces/[^/]+/secrets", "/var/run/secrets/kubernetes\\.io/serviceaccount"] },
    [["T1552", "T1552.007", "TA0006", 0.95]], ["matched_path", "namespace"]),
  fact("R0038", 1, "container_breakout_setup", "A container created privileged or with the host filesystem or Docker socket mounted.", ["session"],
    "lifter:behavioral_docker_escape", { signals: ["privileged:true", "bind:/:/", "bind:/etc", "bind:/var/run/docker.sock"] },
    [["T1611", null, "TA0004", 0.95]], ["matched_signal", "container_image"]),
  fact("R0039", 1, "name_resolution_spoofing", "Poisoned LLMNR/NBT-NS answers seen on the decoy segment.", ["session"],
    "lifter:behavioral_llmnr_poisoning", {}, [["T1557", "T1557.001", "TA0009", 0.9]], ["poisoned_query", "victim_host"]),
  fact("R0040", 1, "router_config_pull", "A router configuration file fetched over TFTP.", ["session"],
    "lifter:behavioral_tftp_router_config", { filename_patterns: [".*-confg$", ".*\\.cfg$", "startup-config", "running-config"] },
    [["T1602", "T1602.002", "TA0009", 0.9]], ["tftp_filename", "source_host"]),

  // ---- email (§2 rows 18–25; evidence_fields are ignored by the family, §2.1) ----
  fact("R0041", 1, "relay_fanout_foreign_sender", "Many recipients on a message whose sender domains disagree.", ["email"],
    "lifter:email_open_relay", { rcpt_threshold: 10, require_foreign_from: true },
    [["T1496", null, "TA0040", 0.85], ["T1586", "T1586.002", "TA0042", 0.85]], ["rcpt_count", "from_domain", "mail_from_domain"]),
  fact("R0042", 1, "same_body_many_recipients", "One near-identical body sent to many recipients.", ["email"],
    "lifter:email_mass_phish", { rcpt_threshold: 25, body_simhash_window_h: 24 }, [["T1566", null, "TA0001", 0.85]], ["rcpt_count", "body_simhash"]),
  fact("R0043", 1, "known_kit_mailer_header", "An X-Mailer the producer matched to a phishing kit.", ["email"],
    "lifter:email_xmailer_kit", { catalog: "phishing_kits" },
    [["T1566", null, "TA0001", 0.9], ["T1588", "T1588.001", "TA0042", 0.85]], ["x_mailer", "matched_kit"]),
  fact("R0044", 1, "punycode_link", "A link whose text carries the punycode prefix.", ["email"],
    "lifter:email_idn_url", { punycode_prefix: "xn--" },
    [["T1036", "T1036.005", "TA0005", 0.9], ["T1566", "T1566.002", "TA0001", 0.9]], ["matched_url", "decoded_idn"]),
  fact("R0045", 1, "spoofed_sender_signals", "From disagrees with Return-Path or MAIL FROM, or DKIM/SPF failed.", ["email"],
    "lifter:email_sender_masquerade", { signals: ["from_returnpath_mismatch", "from_mailfrom_mismatch", "dkim_fail", "spf_fail"] },
    [["T1036", null, "TA0005", 0.85]], ["from_domain", "return_path_domain", "mail_from_domain", "auth_results"]),
  fact("R0046", 1, "weaponised_attachment", "Macro documents, locked archives, smuggled HTML, known-bad hashes or disk-image/shortcut files.", ["email"],
    "lifter:email_malicious_attachment",
    { triggers: ["office_macro", "lnk", "iso", "img", "protected_archive", "html_smuggling", "mal_hash_match"] },
    [["T1204", "T1204.002", "TA0002", 0.9], ["T1566", "T1566.001", "TA0001", 0.9]], ["filename", "mime_type", "matched_trigger", "file_hash"]),
  fact("R0047", 1, "payment_pressure_message", "Pressure in the subject and a payment action in the body.", ["email"],
    "lifter:email_bec",
    { subject_keywords: ["urgent", "wire", "invoice", "payroll", "gift card"], body_action_keywords: ["send", "transfer", "update banking", "confidential"] },
    [["T1566", "T1566.003", "TA0001", 0.85]], ["subject", "matched_subject_kw", "matched_body_kw"]),
  fact("R0048", 1, "large_base64_blob", "A body carrying a large base64 blob.", ["email"],
    "lifter:email_encoded_payload", { min_bytes: 4096, encoding: "base64" },
    [["T1071", "T1071.003", "TA0011", 0.85], ["T1027", null, "TA0005", 0.9]], ["encoded_bytes", "decoded_preview"]),

  // ---- canary fingerprint (§2 rows 26–30; evidence is {metric, matched_signature} only) ----
  fact("R0049", 1, "automation_flag_set", "The canary page saw navigator.webdriver set.", ["canary_fingerprint"],
    "lifter:canary_webdriver", { signal: "navigator.webdriver_true" }, [["T1059", null, "TA0002", 0.85]], ["navigator_webdriver", "ua_signature"]),
  fact("R0050", 1, "automation_tool_hash", "Canvas/audio hashes equal to a known automation framework's.", ["canary_fingerprint"],
    "lifter:canary_automation_hash", { catalogues: ["puppeteer", "playwright", "selenium", "curl_impersonate"] },
    [["T1059", null, "TA0002", 0.85], ["T1588", "T1588.002", "TA0042", 0.85]], ["canvas_hash", "audio_hash", "matched_tool"]),
  fact("R0051", 1, "webrtc_address_elsewhere", "A WebRTC-leaked address located away from the source IP.", ["canary_fingerprint"],
    "lifter:canary_webrtc_leak", { require_geo_mismatch: true }, [["T1090", null, "TA0011", 0.85]], ["webrtc_local_ip", "source_ip"]),
  fact("R0052", 1, "clock_or_language_elsewhere", "Browser timezone or language far from the source IP's country.", ["canary_fingerprint"],
    "lifter:canary_tz_lang_mismatch", {}, [["T1090", null, "TA0011", 0.7]], ["browser_timezone", "browser_language"]),
  fact("R0053", 1, "contradictory_browser_identity", "navigator.platform, user agent and WebGL renderer disagree.", ["canary_fingerprint"],
    "lifter:canary_platform_inconsistency", {}, [["T1036", null, "TA0005", 0.8]], ["navigator_platform", "user_agent"]),

  // ---- intel (§2 rows 31–35, §2.3) ----
  fact("R0054", 2, "abuse_report_categories", "Techniques implied by the source's AbuseIPDB report categories, scaled by its score.", ["intel"],
    "lifter:intel_abuseipdb", { provider: "abuseipdb" },
    [
      ["T1110", null, "TA0006", 0.7],
      ["T1190", null, "TA0001", 0.7],
      ["T1566", null, "TA0001", 0.7],
      ["T1046", null, "TA0007", 0.7],
      ["T1078", null, "TA0001", 0.6],
      ["T1090", null, "TA0011", 0.6],
      ["T1496", null, "TA0040", 0.6],
      ["T1595", null, "TA0043", 0.7],
    ],
    ["abuseipdb_categories", "abuseipdb_score"]),
  fact("R0055", 2, "noise_service_verdict", "Techniques implied by the GreyNoise classification and tags.", ["intel"],
    "lifter:intel_greynoise", { provider: "greynoise" },
    [
      ["T1595", "T1595.002", "TA0043", 0.7],
      ["T1071", null, "TA0011", 0.7],
      ["T1090", null, "TA0011", 0.7],
      ["T1110", null, "TA0006", 0.7],
      ["T1588", null, "TA0042", 0.7],
    ],
    ["greynoise_classification", "greynoise_tags", "greynoise_name"]),
  fact("R0056", 1, "botnet_c2_listing", "The source is a listed botnet C2 server.", ["intel"],
    "lifter:intel_feodo", { provider: "feodo" },
    [["T1071", "T1071.001", "TA0011", 0.85], ["T1588", "T1588.001", "TA0042", 0.85]], ["feodo_listed", "feodo_malware_family", "first_seen_feodo"]),
  fact("R0057", 2, "ioc_feed_threat_types", "Techniques implied by the ThreatFox threat types of the source's IOCs.", ["intel"],
    "lifter:intel_threatfox", { provider: "threatfox" },
    [
      ["T1071", null, "TA0011", 0.8],
      ["T1588", "T1588.001", "TA0042", 0.8],
      ["T1105", null, "TA0011", 0.75],
      ["T1056", null, "TA0009", 0.7],
    ],
    ["threatfox_threat_types", "threatfox_ioc_types", "threatfox_malware_families"]),
  fact("R0058", 1, "multi_feed_agreement", "Placeholder for raising confidence when feeds agree; inert.", ["intel"],
    "lifter:intel_aggregate_bump", { bump_amount: 0.05 }, [["T1588", null, "TA0042", 0.0]], ["aggregate_verdict", "bumped_rule_ids"]),

  // ---- ipv6 (§2 row 36) ----
  fact("R0059", 1, "link_local_address_leak", "An fe80: link-local address leaked by the attacker's host.", ["ipv6_leak"],
    "lifter:ipv6_link_local_leak", {}, [["T1090", null, "TA0011", 0.85]],
    ["addr", "mac_oui", "iid_kind", "vector", "on_iface", "attacker_v4", "observed_at"]),
];

/** A YAML scalar or flow collection: JSON is valid YAML (double-quoted strings, flow lists). */
function y(value: unknown): string {
  return JSON.stringify(value);
}

/** The rule document of a fact, as YAML text. */
export function decnetShapedYaml(f: DecnetShapedFact): string {
  const lines = [
    `rule_id: ${f.ruleId}`,
    `rule_version: ${f.version}`,
    `name: ${f.name}`,
    `description: ${y(f.description)}`,
    `applies_to: ${y(f.appliesTo)}`,
    "match:",
    `  kind: ${y(f.kind)}`,
    ...Object.entries(f.params).map(([k, v]) => `  ${k}: ${y(v)}`),
    "emits:",
  ];
  for (const [technique, sub, tactic, confidence] of f.emits) {
    lines.push(`  - technique_id: ${technique}`);
    if (sub !== null) lines.push(`    sub_technique_id: ${sub}`);
    lines.push(`    tactic: ${tactic}`, `    confidence: ${confidence}`);
  }
  lines.push(`evidence_fields: ${y(f.evidenceFields)}`, "");
  return lines.join("\n");
}

/** One rule per DECNET `lifter:` kind (36: the 35 with an analyzer and R0030's unowned kind). */
export const DECNET_SHAPED_RULES: readonly { readonly ruleId: string; readonly yaml: string }[] = DECNET_SHAPED_FACTS.map((f) => ({
  ruleId: f.ruleId,
  yaml: decnetShapedYaml(f),
}));
