// Parity suite: DECNET-shaped rules (testing/decnet-shaped.ts, one per `lifter:` kind) and
// DECNET-shaped events through the real Engine, all 36 rules loaded at once so that cross-rule
// interference shows. Expectations come from the behavioural specification
// (/work/shared/decnet/analyzers.md: §2 table, §1.5–§1.8, §3, §4, Appendix A), except where this
// project decided otherwise (booleans are not ints; R0033 fires on e-mail with its own evidence;
// confidence clamped to [0, 1]; expired states revert to the default; anchor check for identity
// analyzers only).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseRule } from "../../rules/parse-rule";
import { withState } from "../../rules/compiled";
import type { CompiledRule } from "../../rules/types";
import type { RuleState } from "../../state/semantics";
import { Engine } from "../engine";
import { tagId } from "../tag-id";
import type { Tag, TtpEvent } from "../types";
import { DECNET_SHAPED_FACTS, DECNET_SHAPED_RULES } from "./testing/decnet-shaped";

// ---- set-up --------------------------------------------------------------------------------------

function compileAll(): CompiledRule[] {
  return DECNET_SHAPED_RULES.map((r) => {
    const { rule, issues } = parseRule(r.yaml, { source: r.ruleId, runTests: false });
    if (!rule) throw new Error(`${r.ruleId}: ${issues.map((i) => i.message).join("; ")}`);
    return rule;
  });
}

const RULES = compileAll();
const NOW = Date.parse("2026-07-01T12:00:00Z");

function engineOf(rules: readonly CompiledRule[] = RULES): Engine {
  const e = new Engine({ clock: () => NOW });
  e.replaceAll(rules);
  return e;
}

const ENGINE = engineOf();
let seq = 0;

function run(source_kind: string, payload: Record<string, unknown>, env: Partial<TtpEvent> = {}, engine: Engine = ENGINE): Tag[] {
  return engine.evaluate({ source_kind, source_id: `ev-${seq++}`, attacker_uuid: "att-1", payload, ...env }, NOW);
}

/** [rule_id, technique_id, sub_technique_id, confidence, evidence]. */
type Brief = [string, string, string | null, number, Record<string, unknown>];

function brief(tags: readonly Tag[]): Brief[] {
  return tags.map((t) => [t.rule_id, t.technique_id, t.sub_technique_id, t.confidence, t.evidence]);
}

const sha256 = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

/** The e-mail family's PII-safe base evidence (§3.5.2) with overrides. */
function emailEv(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { body_sha256: "", matched_headers: [], rcpt_domain_set: [], attachment_sha256s: [], rcpt_count: 0, ...over };
}

interface Case {
  name: string;
  kind: string;
  payload: Record<string, unknown>;
  env?: Partial<TtpEvent>;
  expect: Brief[];
  /** Negative cases: the rule(s) the case is a near miss for. */
  misses?: string[];
}

// ---- per-kind cases ------------------------------------------------------------------------------

const BTC = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
const BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
const XMR = `4A${"x".repeat(93)}`;
const b64Of = (bytes: number): string => Buffer.alloc(bytes, 0).toString("base64");

const CREDENTIAL: Case[] = [
  {
    name: "R0001 fail_count at the threshold (5) fires; service kept",
    kind: "auth_attempt",
    payload: { username: "root", service: "ssh", result: "fail", fail_count: 5 },
    expect: [["R0001", "T1110", null, 0.85, { fail_count: 5, service: "ssh" }]],
  },
  { name: "R0001 fail_count 4 does not fire", kind: "auth_attempt", payload: { username: "root", service: "ssh", result: "fail", fail_count: 4 }, expect: [], misses: ["R0001"] },
  { name: "R0001 fail_count true is not an int (project decision): no fire", kind: "auth_attempt", payload: { fail_count: true, service: "ssh" }, expect: [], misses: ["R0001"] },
  {
    name: "R0001 an integral float counts as an int (project decision)",
    kind: "auth_attempt",
    payload: JSON.parse('{"fail_count": 6.0, "service": "ftp"}') as Record<string, unknown>,
    expect: [["R0001", "T1110", null, 0.85, { fail_count: 6, service: "ftp" }]],
  },
  {
    name: "R0002 password_count ≥ 5 with a username fires",
    kind: "auth_attempt",
    payload: { username: "admin", password_count: 6, service: "ssh" },
    expect: [["R0002", "T1110", "T1110.001", 0.85, { username: "admin", password_count: 6 }]],
  },
  { name: "R0002 empty username counts as missing (§3.3)", kind: "auth_attempt", payload: { username: "", password_count: 9 }, expect: [], misses: ["R0002"] },
  {
    name: "R0005 success after a brute force fires",
    kind: "auth_attempt",
    payload: { result: "success", prior_brute: true, username: "oracle", service: "ssh" },
    expect: [["R0005", "T1078", null, 0.7, { username: "oracle", service: "ssh" }]],
  },
  { name: "R0005 require_prior_brute: no prior_brute, no fire", kind: "auth_attempt", payload: { result: "success", username: "oracle" }, expect: [], misses: ["R0005"] },
  { name: "R0005 result is case-sensitive (\"Success\")", kind: "auth_attempt", payload: { result: "Success", prior_brute: true }, expect: [], misses: ["R0005"] },
  {
    name: "R0006 root with an empty password is a default pair; the password is never emitted",
    kind: "auth_attempt",
    payload: { username: "root", password: "", service: "telnet" },
    expect: [["R0006", "T1078", "T1078.001", 0.9, { username: "root", service: "telnet" }]],
  },
  { name: "R0006 pairs are exact and case-sensitive", kind: "auth_attempt", payload: { username: "Admin", password: "admin" }, expect: [], misses: ["R0006"] },
  {
    name: "auth_attempt firing R0001, R0002, R0005 and R0006 at once",
    kind: "auth_attempt",
    payload: { username: "pi", password: "raspberry", service: "ssh", result: "success", prior_brute: true, fail_count: 40, password_count: 12 },
    expect: [
      ["R0001", "T1110", null, 0.85, { fail_count: 40, service: "ssh" }],
      ["R0002", "T1110", "T1110.001", 0.85, { username: "pi", password_count: 12 }],
      ["R0005", "T1078", null, 0.7, { username: "pi", service: "ssh" }],
      ["R0006", "T1078", "T1078.001", 0.9, { username: "pi", service: "ssh" }],
    ],
  },
  {
    name: "R0004 reuse_count 1 fires (threshold hard-coded at 1)",
    kind: "credential",
    payload: { credential_hash: "sha256:9f2c", reuse_count: 1 },
    expect: [["R0004", "T1110", "T1110.004", 0.9, { credential_hash: "sha256:9f2c", reuse_count: 1 }]],
  },
  { name: "R0004 reuse_count 0 does not fire", kind: "credential", payload: { credential_hash: "sha256:9f2c", reuse_count: 0 }, expect: [], misses: ["R0004"] },
  { name: "R0004 applies to credential events only", kind: "auth_attempt", payload: { credential_hash: "sha256:9f2c", reuse_count: 3 }, expect: [], misses: ["R0004"] },
];

const IDENTITY: Case[] = [
  {
    name: "R0003 account_count 3 fires; attacker_uuid is forced to null",
    kind: "identity",
    payload: { shared_password_hash: "h:winter2026", account_count: 3 },
    env: { identity_uuid: "id-7" },
    expect: [["R0003", "T1110", "T1110.003", 0.9, { shared_password_hash: "h:winter2026", account_count: 3 }]],
  },
  { name: "R0003 account_count 2 is under the threshold", kind: "identity", payload: { shared_password_hash: "h", account_count: 2 }, env: { identity_uuid: "id-7" }, expect: [], misses: ["R0003"] },
  { name: "R0003 without identity_uuid emits nothing (anchor)", kind: "identity", payload: { shared_password_hash: "h", account_count: 9 }, expect: [], misses: ["R0003"] },
];

const BEHAVIORAL: Case[] = [
  {
    name: "R0031 bounds are inclusive (10 s, 0.15)",
    kind: "session",
    payload: { beacon_interval_s: 10, beacon_jitter_pct: 0.15 },
    expect: [
      ["R0031", "T1071", null, 0.8, { beacon_interval_s: 10, beacon_jitter_pct: 0.15 }],
      ["R0031", "T1029", null, 0.85, { beacon_interval_s: 10, beacon_jitter_pct: 0.15 }],
    ],
  },
  { name: "R0031 negative_no_beacon (0, 0)", kind: "session", payload: { beacon_interval_s: 0, beacon_jitter_pct: 0 }, expect: [], misses: ["R0031"] },
  { name: "R0031 jitter over 0.15", kind: "session", payload: { beacon_interval_s: 60, beacon_jitter_pct: 0.2 }, expect: [], misses: ["R0031"] },
  {
    name: "R0032 FLUSHALL: matched_op is the pattern, target copied",
    kind: "session",
    payload: { op_text: "FLUSHALL", command_text: "FLUSHALL", target: "redis:6379" },
    expect: [["R0032", "T1485", null, 0.95, { matched_op: "FLUSHALL", target: "redis:6379" }]],
  },
  {
    name: "R0032 empty op_text falls through to command_text; \\s+ spans a run",
    kind: "session",
    payload: { op_text: "", command_text: "DROP   DATABASE shop;" },
    expect: [["R0032", "T1485", null, 0.95, { matched_op: "DROP\\s+DATABASE" }]],
  },
  {
    name: "R0032 DELETE\\s+/\\_all (the \\_ escape)",
    kind: "session",
    payload: { command_text: "curl -s -X DELETE /_all" },
    expect: [["R0032", "T1485", null, 0.95, { matched_op: "DELETE\\s+/\\_all" }]],
  },
  { name: "R0032 is case-sensitive (flushall)", kind: "session", payload: { op_text: "flushall" }, expect: [], misses: ["R0032"] },
  {
    name: "R0033 ransom_btc (§4)",
    kind: "session",
    payload: { body_text: `send 0.5 BTC to ${BTC} to decrypt your files` },
    expect: [["R0033", "T1486", null, 0.9, { btc_address: BTC, matched_keywords: ["btc", "decrypt"] }]],
  },
  {
    name: "R0033 an XMR address is reported under btc_address",
    kind: "session",
    payload: { note_text: `Pay 2 Monero to ${XMR} or lose the data (ransom)` },
    expect: [["R0033", "T1486", null, 0.9, { btc_address: XMR, matched_keywords: ["monero", "ransom"] }]],
  },
  { name: "R0033 keywords without an address (require_btc_or_xmr)", kind: "session", payload: { body_text: "pay one bitcoin to decrypt" }, expect: [], misses: ["R0033"] },
  {
    name: "R0034 web_exfil_burst: copied bytes_out, request_count, target_host",
    kind: "session",
    payload: { bytes_out: 5_000_000, request_count: 200, target_host: "exfil.example" },
    expect: [["R0034", "T1567", null, 0.85, { bytes_out: 5_000_000, request_count: 200, target_host: "exfil.example" }]],
  },
  {
    name: "R0034 the request lane alone (OR)",
    kind: "session",
    payload: { bytes_out: 10, request_count: 50 },
    expect: [["R0034", "T1567", null, 0.85, { bytes_out: 10, request_count: 50 }]],
  },
  { name: "R0034 both lanes under their thresholds", kind: "session", payload: { bytes_out: 1_048_575, request_count: 49 }, expect: [], misses: ["R0034"] },
  {
    name: "R0035 db_mass_read_rows",
    kind: "session",
    payload: { rows_read: 50_000, bytes_read: 0, service: "mysql" },
    expect: [["R0035", "T1213", null, 0.85, { rows_read: 50_000, bytes_read: 0, service: "mysql" }]],
  },
  { name: "R0035 just under both thresholds", kind: "session", payload: { rows_read: 9_999, bytes_read: 5_242_879 }, expect: [], misses: ["R0035"] },
  {
    name: "R0036 creds_env_read on http_request (§4)",
    kind: "http_request",
    payload: { request_path: "/var/www/html/.env" },
    expect: [["R0036", "T1552", "T1552.001", 0.9, { matched_path: "/var/www/html/.env" }]],
  },
  {
    name: "R0036 falsy matched_path falls through to request_path",
    kind: "session",
    payload: { matched_path: 0, request_path: "/repo/.git/config" },
    expect: [["R0036", "T1552", "T1552.001", 0.9, { matched_path: "/repo/.git/config" }]],
  },
  { name: "R0036 an ordinary path", kind: "http_request", payload: { request_path: "/index.html" }, expect: [], misses: ["R0036", "R0037"] },
  {
    name: "R0037 service-account token on a session, namespace copied",
    kind: "session",
    payload: { path: "/var/run/secrets/kubernetes.io/serviceaccount/token", namespace: "kube-system" },
    expect: [["R0037", "T1552", "T1552.007", 0.95, { matched_path: "/var/run/secrets/kubernetes.io/serviceaccount/token", namespace: "kube-system" }]],
  },
  { name: "R0037 listing pods is not secrets", kind: "http_request", payload: { request_path: "/api/v1/namespaces/default/pods" }, expect: [], misses: ["R0037"] },
  {
    name: "R0038 docker_privileged_create",
    kind: "session",
    payload: { signals: ["privileged:true", "image:nginx"], container_image: "nginx" },
    expect: [["R0038", "T1611", null, 0.95, { matched_signal: "privileged:true", container_image: "nginx" }]],
  },
  {
    name: "R0038 the first signal in spec order is reported",
    kind: "session",
    payload: { signals: ["bind:/var/run/docker.sock", "bind:/:/"] },
    expect: [["R0038", "T1611", null, 0.95, { matched_signal: "bind:/:/" }]],
  },
  { name: "R0038 exact equality only (bind:/etc/passwd:/x)", kind: "session", payload: { signals: ["bind:/etc/passwd:/x"] }, expect: [], misses: ["R0038"] },
  {
    name: "R0039 llmnr_responder: copied victim_host only",
    kind: "session",
    payload: { llmnr_poisoned: true, victim_host: "client01" },
    expect: [["R0039", "T1557", "T1557.001", 0.9, { victim_host: "client01" }]],
  },
  {
    name: "R0039 poison count ≥ 1",
    kind: "session",
    payload: { llmnr_poison_count: 2, poisoned_query: "wpad" },
    expect: [["R0039", "T1557", "T1557.001", 0.9, { poisoned_query: "wpad" }]],
  },
  { name: "R0039 \"true\" is not true; count 0", kind: "session", payload: { llmnr_poisoned: "true", llmnr_poison_count: 0 }, expect: [], misses: ["R0039"] },
  {
    name: "R0040 tftp_router_cfg",
    kind: "session",
    payload: { tftp_filename: "router-startup-config", source_host: "10.0.0.5" },
    expect: [["R0040", "T1602", "T1602.002", 0.9, { tftp_filename: "router-startup-config", source_host: "10.0.0.5" }]],
  },
  {
    name: "R0040 Python $ matches before a final newline (§3.4)",
    kind: "session",
    payload: { tftp_filename: "r1-confg\n" },
    expect: [["R0040", "T1602", "T1602.002", 0.9, { tftp_filename: "r1-confg\n" }]],
  },
  { name: "R0040 a firmware image", kind: "session", payload: { tftp_filename: "c2960-lanbasek9-mz.bin" }, expect: [], misses: ["R0040"] },
  {
    name: "one session firing R0031, R0032 and R0035 together",
    kind: "session",
    payload: { beacon_interval_s: 300, beacon_jitter_pct: 0.01, op_text: "TRUNCATE TABLE users", rows_read: 20_000 },
    expect: [
      ["R0031", "T1071", null, 0.8, { beacon_interval_s: 300, beacon_jitter_pct: 0.01 }],
      ["R0031", "T1029", null, 0.85, { beacon_interval_s: 300, beacon_jitter_pct: 0.01 }],
      ["R0032", "T1485", null, 0.95, { matched_op: "TRUNCATE\\s+TABLE" }],
      ["R0035", "T1213", null, 0.85, { rows_read: 20_000 }],
    ],
  },
];

const BEC_BODY = "Please send the transfer before noon, keep it confidential.";
const RANSOM_MAIL = `Your files are encrypted. Send 0.1 BTC to ${BECH32} to decrypt them.`;

const EMAIL: Case[] = [
  {
    name: "R0045 + R0047 on a BEC message (bec_wire, §4)",
    kind: "email",
    payload: { subject: "URGENT: wire transfer today", from_domain: "ceo@victim.example", return_path_domain: "evil.example", rcpt_count: 1, body_text: BEC_BODY },
    expect: [
      ["R0045", "T1036", null, 0.85, emailEv({ body_sha256: sha256(BEC_BODY), rcpt_count: 1, matched_headers: ["From", "Return-Path"], matched_signals: ["from_returnpath_mismatch"] })],
      ["R0047", "T1566", "T1566.003", 0.85, emailEv({ body_sha256: sha256(BEC_BODY), rcpt_count: 1, matched_headers: ["Subject"], matched_subject_kw: "urgent", matched_body_kw: "send" })],
    ],
  },
  {
    name: "R0047 plain substrings, spec spelling (gift card / send in sender)",
    kind: "email",
    payload: { subject: "Gift Card needed", body_text: "reply to the sender" },
    expect: [["R0047", "T1566", "T1566.003", 0.85, emailEv({ body_sha256: sha256("reply to the sender"), matched_headers: ["Subject"], matched_subject_kw: "gift card", matched_body_kw: "send" })]],
  },
  { name: "R0047 subject keyword but no action in the body", kind: "email", payload: { subject: "Invoice 4411", body_text: "See the attached PDF." }, expect: [], misses: ["R0047"] },
  {
    name: "R0041 + R0045 on an open relay (open_relay, §4)",
    kind: "email",
    payload: { rcpt_count: 50, from_domain: "victim.example", mail_from_domain: "evil.example" },
    expect: [
      ["R0041", "T1496", null, 0.85, emailEv({ rcpt_count: 50, matched_headers: ["From", "Mail-From"] })],
      ["R0041", "T1586", "T1586.002", 0.85, emailEv({ rcpt_count: 50, matched_headers: ["From", "Mail-From"] })],
      ["R0045", "T1036", null, 0.85, emailEv({ rcpt_count: 50, matched_headers: ["From", "Return-Path"], matched_signals: ["from_mailfrom_mismatch"] })],
    ],
  },
  {
    name: "R0041 + R0045: domains compared after lowercasing and the first @ (no mismatch)",
    kind: "email",
    payload: { rcpt_count: 50, from_domain: "CEO@Victim.Example", mail_from_domain: "victim.example", return_path_domain: "victim.example" },
    expect: [],
    misses: ["R0041", "R0045"],
  },
  {
    name: "R0041 falls back to the raw from / mail_from headers; rcpt_domain_set lowercased and sorted",
    kind: "email",
    payload: { rcpt_count: 12, from: "Boss <boss@corp.example>", mail_from: "bounce@mailer.example", rcpt_domains: ["b.example", "A.example", "b.example"] },
    expect: [
      ["R0041", "T1496", null, 0.85, emailEv({ rcpt_count: 12, rcpt_domain_set: ["a.example", "b.example"], matched_headers: ["From", "Mail-From"] })],
      ["R0041", "T1586", "T1586.002", 0.85, emailEv({ rcpt_count: 12, rcpt_domain_set: ["a.example", "b.example"], matched_headers: ["From", "Mail-From"] })],
    ],
  },
  {
    name: "R0045 a from_domain that normalises to \"\" counts as present (§3.3)",
    kind: "email",
    payload: { from_domain: "x@", return_path_domain: "evil.example" },
    expect: [["R0045", "T1036", null, 0.85, emailEv({ matched_headers: ["From", "Return-Path"], matched_signals: ["from_returnpath_mismatch"] })]],
  },
  {
    name: "R0045 dkim_fail and spf_fail",
    kind: "email",
    payload: { dkim_signed: false, spf_pass: false },
    expect: [["R0045", "T1036", null, 0.85, emailEv({ matched_headers: ["Authentication-Results", "DKIM-Signature"], matched_signals: ["dkim_fail", "spf_fail"] })]],
  },
  { name: "R0045 signed, SPF pass, aligned", kind: "email", payload: { dkim_signed: true, spf_pass: true, from_domain: "a.example", return_path_domain: "a.example" }, expect: [], misses: ["R0045"] },
  {
    name: "R0043 xmailer_kit",
    kind: "email",
    payload: { x_mailer: "PHPMailer 6.0 (kit-X)", matched_kit: "kit-X" },
    expect: [
      ["R0043", "T1566", null, 0.9, emailEv({ matched_headers: ["X-Mailer"], matched_kit: "kit-X" })],
      ["R0043", "T1588", "T1588.001", 0.85, emailEv({ matched_headers: ["X-Mailer"], matched_kit: "kit-X" })],
    ],
  },
  { name: "R0043 an X-Mailer no kit matched", kind: "email", payload: { x_mailer: "Microsoft Outlook 16.0", matched_kit: "" }, expect: [], misses: ["R0043"] },
  {
    name: "R0044 idn_url (§4): matched_url_host",
    kind: "email",
    payload: { urls: ["https://example.org/", "https://xn--80ak6aa92e.com/login"] },
    expect: [
      ["R0044", "T1036", "T1036.005", 0.9, emailEv({ matched_headers: ["body"], matched_url_host: "xn--80ak6aa92e.com" })],
      ["R0044", "T1566", "T1566.002", 0.9, emailEv({ matched_headers: ["body"], matched_url_host: "xn--80ak6aa92e.com" })],
    ],
  },
  { name: "R0044 uppercase XN-- and a Unicode host do not fire (§3.5.5)", kind: "email", payload: { urls: ["https://XN--80AK6AA92E.com/", "https://пример.com/"] }, expect: [], misses: ["R0044"] },
  {
    name: "R0046 macro_attach: office_macro, attachment hashes kept",
    kind: "email",
    payload: { attachment_macros: true, attachment_sha256s: ["d41d8c", 7] },
    expect: [
      ["R0046", "T1204", "T1204.002", 0.9, emailEv({ attachment_sha256s: ["d41d8c"], matched_trigger: "office_macro" })],
      ["R0046", "T1566", "T1566.001", 0.9, emailEv({ attachment_sha256s: ["d41d8c"], matched_trigger: "office_macro" })],
    ],
  },
  {
    name: "R0046 flags before extensions; \"..ISO\" normalises to iso",
    kind: "email",
    payload: { attachment_extensions: ["..ISO", "lnk"], html_smuggling: true },
    expect: [
      ["R0046", "T1204", "T1204.002", 0.9, emailEv({ matched_trigger: "html_smuggling" })],
      ["R0046", "T1566", "T1566.001", 0.9, emailEv({ matched_trigger: "html_smuggling" })],
    ],
  },
  {
    name: "R0046 extension triggers in lnk, iso, img order",
    kind: "email",
    payload: { attachment_extensions: ["img", "..ISO"] },
    expect: [
      ["R0046", "T1204", "T1204.002", 0.9, emailEv({ matched_trigger: "iso" })],
      ["R0046", "T1566", "T1566.001", 0.9, emailEv({ matched_trigger: "iso" })],
    ],
  },
  { name: "R0046 a whole file name is not an extension", kind: "email", payload: { attachment_extensions: ["invoice.lnk", "exe"] }, expect: [], misses: ["R0046"] },
  {
    name: "R0048 a 4096-byte base64 run in the body (5,462 characters + ==)",
    kind: "email",
    payload: { body_text: `see attached:\n${b64Of(4096)}\n-- ops` },
    expect: [
      ["R0048", "T1071", "T1071.003", 0.85, emailEv({ body_sha256: sha256(`see attached:\n${b64Of(4096)}\n-- ops`), encoded_byte_count: 4096 })],
      ["R0048", "T1027", null, 0.9, emailEv({ body_sha256: sha256(`see attached:\n${b64Of(4096)}\n-- ops`), encoded_byte_count: 4096 })],
    ],
  },
  { name: "R0048 4095 bytes stay under min_bytes", kind: "email", payload: { body_text: b64Of(4095) }, expect: [], misses: ["R0048"] },
  {
    name: "R0048 MIME-wrapped base64 never reaches 4096 (newlines break runs)",
    kind: "email",
    payload: { body_text: (b64Of(8192).match(/.{1,76}/g) ?? []).join("\n") },
    expect: [],
    misses: ["R0048"],
  },
  { name: "R0048 body_text \"\" does not fire even with body_base64_bytes over the threshold", kind: "email", payload: { body_text: "", body_base64_bytes: 9000 }, expect: [], misses: ["R0048"] },
  {
    name: "R0042 mass phishing needs a body_simhash",
    kind: "email",
    payload: { rcpt_count: 30, body_simhash: 0 },
    expect: [["R0042", "T1566", null, 0.85, emailEv({ rcpt_count: 30 })]],
  },
  { name: "R0042 without body_simhash", kind: "email", payload: { rcpt_count: 300, body_text: "Click here" }, expect: [], misses: ["R0042"] },
  { name: "R0042 under 25 recipients", kind: "email", payload: { rcpt_count: 24, body_simhash: "ab12" }, expect: [], misses: ["R0042"] },
  {
    name: "R0033 fires on e-mail with its own evidence, and the e-mail rules' tags stay (project decision)",
    kind: "email",
    payload: { subject: "your files", body_text: RANSOM_MAIL, dkim_signed: false },
    expect: [
      ["R0033", "T1486", null, 0.9, { btc_address: BECH32, matched_keywords: ["btc", "decrypt"] }],
      ["R0045", "T1036", null, 0.85, emailEv({ body_sha256: sha256(RANSOM_MAIL), matched_headers: ["DKIM-Signature"], matched_signals: ["dkim_fail"] })],
    ],
  },
  { name: "negative_newsletter", kind: "email", payload: { subject: "Newsletter", from_domain: "news@legit.example", rcpt_count: 1, body_text: "Hello world." }, expect: [], misses: ["R0033"] },
];

const CANARY_WEBDRIVER = { metric: "navigator_webdriver", matched_signature: "navigator.webdriver_true" };

const CANARY: Case[] = [
  {
    name: "R0049 webdriver_flag: evidence is exactly {metric, matched_signature}",
    kind: "canary_fingerprint",
    payload: { ua_signature: "HeadlessChrome/119", navigator_webdriver: true },
    expect: [["R0049", "T1059", null, 0.85, CANARY_WEBDRIVER]],
  },
  { name: "R0049 negative_browser (webdriver false)", kind: "canary_fingerprint", payload: { ua_signature: "Mozilla/5.0", navigator_webdriver: false }, expect: [], misses: ["R0049"] },
  {
    name: "R0050 puppeteer_canvas → T1059 and T1588.002",
    kind: "canary_fingerprint",
    payload: { canvas_audio_hash_match: "puppeteer", canvas_hash: "c0ffee" },
    expect: [
      ["R0050", "T1059", null, 0.85, { metric: "canvas_audio_hash", matched_signature: "puppeteer" }],
      ["R0050", "T1588", "T1588.002", 0.85, { metric: "canvas_audio_hash", matched_signature: "puppeteer" }],
    ],
  },
  {
    name: "R0050 empty canvas match falls through to matched_tool",
    kind: "canary_fingerprint",
    payload: { canvas_audio_hash_match: "", matched_tool: "selenium" },
    expect: [
      ["R0050", "T1059", null, 0.85, { metric: "canvas_audio_hash", matched_signature: "selenium" }],
      ["R0050", "T1588", "T1588.002", 0.85, { metric: "canvas_audio_hash", matched_signature: "selenium" }],
    ],
  },
  { name: "R0050 catalogue membership is case-sensitive", kind: "canary_fingerprint", payload: { canvas_audio_hash_match: "Puppeteer" }, expect: [], misses: ["R0050"] },
  {
    name: "R0051 webrtc_leak",
    kind: "canary_fingerprint",
    payload: { webrtc_geo_mismatch: true, webrtc_local_ip: "192.168.1.9" },
    expect: [["R0051", "T1090", null, 0.85, { metric: "webrtc_geo_mismatch", matched_signature: "webrtc_private_vs_source_ip" }]],
  },
  { name: "R0051 \"true\" is not true", kind: "canary_fingerprint", payload: { webrtc_geo_mismatch: "true" }, expect: [], misses: ["R0051"] },
  {
    name: "R0052 tz 3 zones (threshold)",
    kind: "canary_fingerprint",
    payload: { tz_mismatch_zones: 3 },
    expect: [["R0052", "T1090", null, 0.7, { metric: "timezone_geo_mismatch", matched_signature: "tz_zones>=3" }]],
  },
  {
    name: "R0052 tz under 3 → the language lane",
    kind: "canary_fingerprint",
    payload: { tz_mismatch_zones: 2, lang_country_mismatch: true },
    expect: [["R0052", "T1090", null, 0.7, { metric: "language_country_mismatch", matched_signature: "lang_vs_source_country" }]],
  },
  { name: "R0052 tz 1 does not fire", kind: "canary_fingerprint", payload: { tz_mismatch_zones: 1 }, expect: [], misses: ["R0052"] },
  {
    name: "R0053 platform_inconsistent",
    kind: "canary_fingerprint",
    payload: { platform_ua_inconsistent: true },
    expect: [["R0053", "T1036", null, 0.8, { metric: "platform_ua_mismatch", matched_signature: "navigator.platform_vs_userAgent" }]],
  },
  {
    name: "R0053 the WebGL lane",
    kind: "canary_fingerprint",
    payload: { platform_ua_inconsistent: false, ua_webgl_mismatch: true },
    expect: [["R0053", "T1036", null, 0.8, { metric: "ua_webgl_mismatch", matched_signature: "userAgent_vs_webgl_renderer" }]],
  },
  { name: "R0053 consistent browser", kind: "canary_fingerprint", payload: { platform_ua_inconsistent: false, ua_webgl_mismatch: false }, expect: [], misses: ["R0053"] },
  {
    name: "one canary fingerprint firing all five canary rules",
    kind: "canary_fingerprint",
    payload: { navigator_webdriver: true, canvas_audio_hash_match: "playwright", webrtc_geo_mismatch: true, tz_mismatch_zones: 5, ua_webgl_mismatch: true },
    expect: [
      ["R0049", "T1059", null, 0.85, CANARY_WEBDRIVER],
      ["R0050", "T1059", null, 0.85, { metric: "canvas_audio_hash", matched_signature: "playwright" }],
      ["R0050", "T1588", "T1588.002", 0.85, { metric: "canvas_audio_hash", matched_signature: "playwright" }],
      ["R0051", "T1090", null, 0.85, { metric: "webrtc_geo_mismatch", matched_signature: "webrtc_private_vs_source_ip" }],
      ["R0052", "T1090", null, 0.7, { metric: "timezone_geo_mismatch", matched_signature: "tz_zones>=5" }],
      ["R0053", "T1036", null, 0.8, { metric: "ua_webgl_mismatch", matched_signature: "userAgent_vs_webgl_renderer" }],
    ],
  },
];

const INTEL: Case[] = [
  {
    name: "R0054 score 50, category 18 → T1110 at 0.35",
    kind: "intel",
    payload: { abuseipdb_score: 50, abuseipdb_categories: [18] },
    expect: [["R0054", "T1110", null, 0.7 * 0.5, { abuseipdb_categories: [18], abuseipdb_score: 50, abuse_confidence_score: 50 }]],
  },
  {
    name: "R0054 category 11 under 80: only T1496",
    kind: "intel",
    payload: { abuseipdb_score: 79, abuseipdb_categories: [11] },
    expect: [["R0054", "T1496", null, 0.6 * 0.79, { abuseipdb_categories: [11], abuseipdb_score: 79, abuse_confidence_score: 79 }]],
  },
  {
    name: "R0054 category 11 at 80: T1566 and T1496, in emits order",
    kind: "intel",
    payload: { abuseipdb_score: 80, abuseipdb_categories: [11] },
    expect: [
      ["R0054", "T1566", null, 0.7 * 0.8, { abuseipdb_categories: [11], abuseipdb_score: 80, abuse_confidence_score: 80 }],
      ["R0054", "T1496", null, 0.6 * 0.8, { abuseipdb_categories: [11], abuseipdb_score: 80, abuse_confidence_score: 80 }],
    ],
  },
  {
    name: "R0054 per-technique categories (14 → T1046 and T1595; 19 → T1595); truncated score",
    kind: "intel",
    payload: { abuseipdb_score: 85.9, abuseipdb_categories: [14, 19] },
    expect: [
      ["R0054", "T1046", null, 0.7 * (85.9 / 100), { abuseipdb_categories: [14], abuseipdb_score: 85.9, abuse_confidence_score: 85 }],
      ["R0054", "T1595", null, 0.7 * (85.9 / 100), { abuseipdb_categories: [14, 19], abuseipdb_score: 85.9, abuse_confidence_score: 85 }],
    ],
  },
  { name: "R0054 unmapped categories 4, 10, 12", kind: "intel", payload: { abuseipdb_score: 100, abuseipdb_categories: [4, 10, 12] }, expect: [], misses: ["R0054"] },
  {
    name: "R0055 greynoise_scanner → T1595.002",
    kind: "intel",
    payload: { greynoise_classification: "scanner" },
    expect: [["R0055", "T1595", "T1595.002", 0.7, { greynoise_classification: "scanner", greynoise_tags: ["scanner"] }]],
  },
  {
    name: "R0055 greynoise_c2_tag (§4) → T1071 and T1588 at 0.7",
    kind: "intel",
    payload: { greynoise_classification: "malicious", greynoise_tags: ["cobalt_strike"], greynoise_name: "CS team server" },
    expect: [
      ["R0055", "T1071", null, 0.7, { greynoise_classification: "malicious", greynoise_tags: ["cobalt_strike"], greynoise_name: "CS team server" }],
      ["R0055", "T1588", null, 0.7, { greynoise_classification: "malicious", greynoise_tags: ["cobalt_strike"], greynoise_name: "CS team server" }],
    ],
  },
  {
    name: "R0055 bare malicious → T1071 ×0.5; with tor_exit_node too (§3.7)",
    kind: "intel",
    payload: { greynoise_classification: "malicious", greynoise_tags: ["tor_exit_node"] },
    expect: [
      ["R0055", "T1071", null, 0.35, { greynoise_classification: "malicious", greynoise_tags: ["malicious"] }],
      ["R0055", "T1090", null, 0.7, { greynoise_classification: "malicious", greynoise_tags: ["tor_exit_node"] }],
    ],
  },
  {
    name: "R0055 scanner and web_crawler merge under T1595",
    kind: "intel",
    payload: { greynoise_classification: "scanner", greynoise_tags: ["web_crawler", 3] },
    expect: [["R0055", "T1595", "T1595.002", 0.7, { greynoise_classification: "scanner", greynoise_tags: ["scanner", "web_crawler"] }]],
  },
  {
    name: "negative_benign (greynoise benign, no tags)",
    kind: "intel",
    payload: { verdict: "benign", provider: "greynoise", greynoise_classification: "benign", greynoise_tags: [] },
    expect: [],
    misses: ["R0055"],
  },
  { name: "negative_empty intel", kind: "intel", payload: {}, expect: [], misses: ["R0054", "R0055", "R0056", "R0057"] },
  { name: "R0056 feodo_listed must be true itself", kind: "intel", payload: { feodo_listed: "yes", malware_family: "Dridex" }, expect: [], misses: ["R0056"] },
  {
    name: "R0057 botnet_cc → T1071 and T1588.001 with threat/ioc/malware lists",
    kind: "intel",
    payload: { threatfox_threat_types: ["botnet_cc"], threatfox_ioc_types: ["ip:port"], threatfox_malware_families: ["Sliver"] },
    expect: [
      ["R0057", "T1071", null, 0.8, { threatfox_threat_types: ["botnet_cc"], threatfox_ioc_types: ["ip:port"], threatfox_malware_families: ["Sliver"], threat_types: ["botnet_cc"], malware_families: ["Sliver"], ioc_types: ["ip:port"] }],
      ["R0057", "T1588", "T1588.001", 0.8, { threatfox_threat_types: ["botnet_cc"], threatfox_ioc_types: ["ip:port"], threatfox_malware_families: ["Sliver"], threat_types: ["botnet_cc"], malware_families: ["Sliver"], ioc_types: ["ip:port"] }],
    ],
  },
  {
    name: "R0057 threat_type as a string; payload_delivery → T1588.001 and T1105",
    kind: "intel",
    payload: { threat_type: "payload_delivery", malware_family: "AsyncRAT" },
    expect: [
      ["R0057", "T1588", "T1588.001", 0.8, { threat_types: ["payload_delivery"], malware_families: ["AsyncRAT"] }],
      ["R0057", "T1105", null, 0.75, { threat_types: ["payload_delivery"], malware_families: ["AsyncRAT"] }],
    ],
  },
  {
    name: "R0057 cc_skimming → T1056",
    kind: "intel",
    payload: { threatfox_threat_types: ["cc_skimming"] },
    expect: [["R0057", "T1056", null, 0.7, { threatfox_threat_types: ["cc_skimming"], threat_types: ["cc_skimming"] }]],
  },
  { name: "R0057 ioc types alone give no tag", kind: "intel", payload: { threatfox_ioc_types: ["domain"] }, expect: [], misses: ["R0057"] },
  {
    name: "an intel catch-up payload firing R0054, R0055, R0056 and R0057 (R0058 never)",
    kind: "intel",
    payload: {
      attacker_ip: "198.51.100.23",
      aggregate_verdict: "malicious",
      abuseipdb_score: 100,
      abuseipdb_categories: [18],
      greynoise_classification: "malicious",
      greynoise_name: null,
      greynoise_tags: [],
      feodo_listed: true,
      feodo_malware_family: "QakBot",
      threatfox_listed: true,
      threatfox_threat_types: ["payload"],
      threatfox_ioc_types: [],
      threatfox_malware_families: [],
    },
    expect: [
      ["R0054", "T1110", null, 0.7, { abuseipdb_categories: [18], abuseipdb_score: 100, abuse_confidence_score: 100 }],
      ["R0055", "T1071", null, 0.35, { greynoise_classification: "malicious", greynoise_name: null, greynoise_tags: ["malicious"] }],
      ["R0056", "T1071", "T1071.001", 0.85, { feodo_listed: true, feodo_malware_family: "QakBot", malware_family: "QakBot" }],
      ["R0056", "T1588", "T1588.001", 0.85, { feodo_listed: true, feodo_malware_family: "QakBot", malware_family: "QakBot" }],
      ["R0057", "T1588", "T1588.001", 0.8, { threatfox_threat_types: ["payload"], threatfox_ioc_types: [], threatfox_malware_families: [], threat_types: ["payload"] }],
    ],
  },
];

const IPV6: Case[] = [
  {
    name: "R0059 fe80: address: the fixed 7 keys, attacker_v4 from attacker_ip",
    kind: "ipv6_leak",
    payload: { addr: "fe80::1c2b:3dff:fe4a:5b6c", mac_oui: "1e:2b:3d", iid_kind: "eui64", vector: "mdns", on_iface: "eth0", attacker_ip: "203.0.113.7", observed_at: "2026-06-30T10:00:00Z", ttl: 64 },
    expect: [["R0059", "T1090", null, 0.85, { addr: "fe80::1c2b:3dff:fe4a:5b6c", mac_oui: "1e:2b:3d", iid_kind: "eui64", vector: "mdns", on_iface: "eth0", attacker_v4: "203.0.113.7", observed_at: "2026-06-30T10:00:00Z" }]],
  },
  {
    name: "R0059 prefix is case-insensitive; defaults for absent keys",
    kind: "ipv6_leak",
    payload: { addr: "FE80::1" },
    expect: [["R0059", "T1090", null, 0.85, { addr: "FE80::1", mac_oui: "", iid_kind: "unknown", vector: "", on_iface: "", attacker_v4: "", observed_at: "" }]],
  },
  {
    name: "R0059 empty addr falls through to src_ip; a present null passes through",
    kind: "ipv6_leak",
    payload: { addr: "", src_ip: "fe80::2", mac_oui: null },
    expect: [["R0059", "T1090", null, 0.85, { addr: "fe80::2", mac_oui: null, iid_kind: "unknown", vector: "", on_iface: "", attacker_v4: "", observed_at: "" }]],
  },
  { name: "R0059 fe81: is not matched (textual prefix only)", kind: "ipv6_leak", payload: { addr: "fe81::1" }, expect: [], misses: ["R0059"] },
  { name: "R0059 a global address", kind: "ipv6_leak", payload: { addr: "2001:db8::1" }, expect: [], misses: ["R0059"] },
];


/** §3 edge behaviours, through the same all-rules engine. */
const EDGES: Case[] = [
  {
    name: "R0044 the prefix anywhere in the URL: the first such URL is reported (host of a query hit)",
    kind: "email",
    payload: { urls: ["https://ok.com/?q=xn--abc", "https://xn--b.com"] },
    expect: [
      ["R0044", "T1036", "T1036.005", 0.9, emailEv({ matched_headers: ["body"], matched_url_host: "ok.com" })],
      ["R0044", "T1566", "T1566.002", 0.9, emailEv({ matched_headers: ["body"], matched_url_host: "ok.com" })],
    ],
  },
  {
    name: "R0044 host keeps userinfo, port and query when there is no path; lowercased",
    kind: "email",
    payload: { urls: ["https://user:pw@xn--80ak6aa92e.COM:8443?x=1"] },
    expect: [
      ["R0044", "T1036", "T1036.005", 0.9, emailEv({ matched_headers: ["body"], matched_url_host: "user:pw@xn--80ak6aa92e.com:8443?x=1" })],
      ["R0044", "T1566", "T1566.002", 0.9, emailEv({ matched_headers: ["body"], matched_url_host: "user:pw@xn--80ak6aa92e.com:8443?x=1" })],
    ],
  },
  {
    name: "R0044 no lowercase http(s) scheme: host \"\" but still fires",
    kind: "email",
    payload: { urls: ["HTTPS://xn--80ak6aa92e.com/"] },
    expect: [
      ["R0044", "T1036", "T1036.005", 0.9, emailEv({ matched_headers: ["body"], matched_url_host: "" })],
      ["R0044", "T1566", "T1566.002", 0.9, emailEv({ matched_headers: ["body"], matched_url_host: "" })],
    ],
  },
  {
    name: "R0048 n mod 4 = 3 with one = decodes (3(n−3)/4 + 2 = 4097)",
    kind: "email",
    payload: { body_text: `${"A".repeat(5463)}=` },
    expect: [
      ["R0048", "T1071", "T1071.003", 0.85, emailEv({ body_sha256: sha256(`${"A".repeat(5463)}=`), encoded_byte_count: 4097 })],
      ["R0048", "T1027", null, 0.9, emailEv({ body_sha256: sha256(`${"A".repeat(5463)}=`), encoded_byte_count: 4097 })],
    ],
  },
  { name: "R0048 n mod 4 = 3 with == is rejected (excess data)", kind: "email", payload: { body_text: `${"A".repeat(5463)}==` }, expect: [], misses: ["R0048"] },
  { name: "R0048 n mod 4 = 1 never decodes", kind: "email", payload: { body_text: "A".repeat(5465) }, expect: [], misses: ["R0048"] },
  { name: "R0033 Python's Unicode \\b: é before the address joins the word", kind: "session", payload: { body_text: `é${BTC} bitcoin` }, expect: [], misses: ["R0033"] },
  { name: "R0033 bech32 must be lowercase", kind: "session", payload: { body_text: `${BECH32.toUpperCase()} bitcoin` }, expect: [], misses: ["R0033"] },
  {
    name: "R0033 a BTC address wins over an earlier XMR one; note_text when body_text is empty",
    kind: "session",
    payload: { body_text: "", note_text: `${XMR} then (${BTC}) RANSOM` },
    expect: [["R0033", "T1486", null, 0.9, { btc_address: BTC, matched_keywords: ["ransom"] }]],
  },
  {
    name: "R0032 the first pattern in list order, not in text order",
    kind: "session",
    payload: { op_text: "TRUNCATE TABLE x; FLUSHALL" },
    expect: [["R0032", "T1485", null, 0.95, { matched_op: "FLUSHALL" }]],
  },
  { name: "R0036 \\.env also matches .envrc", kind: "http_request", payload: { request_path: "/app/.envrc" }, expect: [["R0036", "T1552", "T1552.001", 0.9, { matched_path: "/app/.envrc" }]] },
  { name: "R0037 [^/]+ needs a namespace", kind: "http_request", payload: { request_path: "/api/v1/namespaces//secrets" }, expect: [], misses: ["R0037"] },
  { name: "R0040 $ matches before one final newline only", kind: "session", payload: { tftp_filename: "router.cfg\n\n" }, expect: [], misses: ["R0040"] },
  {
    name: "R0045 all four signals: fixed order, headers de-duplicated and sorted",
    kind: "email",
    payload: { from_domain: "a.example", return_path_domain: "b.example", mail_from_domain: "c.example", dkim_signed: false, spf_pass: false },
    expect: [
      [
        "R0045",
        "T1036",
        null,
        0.85,
        emailEv({
          matched_headers: ["Authentication-Results", "DKIM-Signature", "From", "Return-Path"],
          matched_signals: ["from_returnpath_mismatch", "from_mailfrom_mismatch", "dkim_fail", "spf_fail"],
        }),
      ],
    ],
  },
  {
    name: "R0041 a subdomain counts as a different domain",
    kind: "email",
    payload: { rcpt_count: 10, from_domain: "a.victim.example", mail_from_domain: "victim.example" },
    expect: [
      ["R0041", "T1496", null, 0.85, emailEv({ rcpt_count: 10, matched_headers: ["From", "Mail-From"] })],
      ["R0041", "T1586", "T1586.002", 0.85, emailEv({ rcpt_count: 10, matched_headers: ["From", "Mail-From"] })],
      ["R0045", "T1036", null, 0.85, emailEv({ rcpt_count: 10, matched_headers: ["From", "Return-Path"], matched_signals: ["from_mailfrom_mismatch"] })],
    ],
  },
  {
    name: "dom() = \"\" is missing for R0041 but present for R0045 (§3.3)",
    kind: "email",
    payload: { rcpt_count: 10, from_domain: "x@", mail_from_domain: "victim.example" },
    expect: [["R0045", "T1036", null, 0.85, emailEv({ rcpt_count: 10, matched_headers: ["From", "Return-Path"], matched_signals: ["from_mailfrom_mismatch"] })]],
    misses: ["R0041"],
  },
  {
    name: "rcpt_domains as a string is ignored (divergence: upstream iterates it by character, §3.2)",
    kind: "email",
    payload: { rcpt_count: 30, body_simhash: "s", rcpt_domains: "ab.c" },
    expect: [["R0042", "T1566", null, 0.85, emailEv({ rcpt_count: 30, rcpt_domain_set: [] })]],
  },
  {
    name: "R0054 categories fallback; duplicates kept; non-int categories skipped",
    kind: "intel",
    payload: { abuseipdb_score: 90, categories: [22, 22, "18", true] },
    expect: [["R0054", "T1110", null, 0.7 * 0.9, { abuseipdb_score: 90, abuseipdb_categories: [22, 22], abuse_confidence_score: 90 }]],
  },
  {
    name: "R0055 duplicate tags give duplicate signal names",
    kind: "intel",
    payload: { greynoise_classification: "malicious", greynoise_tags: ["sliver", "sliver", "metasploit"] },
    expect: [
      ["R0055", "T1071", null, 0.7, { greynoise_classification: "malicious", greynoise_tags: ["sliver", "sliver", "metasploit"] }],
      ["R0055", "T1588", null, 0.7, { greynoise_classification: "malicious", greynoise_tags: ["sliver", "sliver", "metasploit"] }],
    ],
  },
  { name: "R0055 greynoise_tags as a string is ignored", kind: "intel", payload: { greynoise_classification: "benign", greynoise_tags: "tor_exit_node" }, expect: [], misses: ["R0055"] },
  {
    name: "R0057 threat types per technique; malware_family as a string; non-string ioc types skipped",
    kind: "intel",
    payload: { threatfox_threat_types: ["botnet_cc", "payload"], malware_family: "x", threatfox_ioc_types: ["url", 3] },
    expect: [
      ["R0057", "T1071", null, 0.8, { threatfox_threat_types: ["botnet_cc", "payload"], threatfox_ioc_types: ["url", 3], threat_types: ["botnet_cc"], malware_families: ["x"], ioc_types: ["url"] }],
      ["R0057", "T1588", "T1588.001", 0.8, { threatfox_threat_types: ["botnet_cc", "payload"], threatfox_ioc_types: ["url", 3], threat_types: ["botnet_cc", "payload"], malware_families: ["x"], ioc_types: ["url"] }],
    ],
  },
  {
    name: "R0056 empty feodo_malware_family falls through to malware_family; first_seen_feodo copied",
    kind: "intel",
    payload: { feodo_listed: true, feodo_malware_family: "", malware_family: "Heodo", first_seen_feodo: "2020-01-01" },
    expect: [
      ["R0056", "T1071", "T1071.001", 0.85, { feodo_listed: true, feodo_malware_family: "", first_seen_feodo: "2020-01-01", malware_family: "Heodo" }],
      ["R0056", "T1588", "T1588.001", 0.85, { feodo_listed: true, feodo_malware_family: "", first_seen_feodo: "2020-01-01", malware_family: "Heodo" }],
    ],
  },
  {
    name: "R0006 a non-string service is copied raw (§3.4)",
    kind: "auth_attempt",
    payload: { username: "admin", password: "password", service: 22 },
    expect: [["R0006", "T1078", "T1078.001", 0.9, { username: "admin", service: 22 }]],
  },
  {
    name: "R0059 addr absent → src_ip; empty attacker_v4 falls through to attacker_ip",
    kind: "ipv6_leak",
    payload: { src_ip: "Fe80::3", attacker_v4: "", attacker_ip: "192.0.2.4" },
    expect: [["R0059", "T1090", null, 0.85, { addr: "Fe80::3", mac_oui: "", iid_kind: "unknown", vector: "", on_iface: "", attacker_v4: "192.0.2.4", observed_at: "" }]],
  },
];

const FAMILIES: [string, Case[]][] = [
  ["credential", CREDENTIAL],
  ["identity", IDENTITY],
  ["behavioral", BEHAVIORAL],
  ["email", EMAIL],
  ["canary", CANARY],
  ["intel", INTEL],
  ["ipv6", IPV6],
  ["§3 edges", EDGES],
];

// ---- tests -----------------------------------------------------------------------------------

describe("DECNET-shaped rules", () => {
  it("one rule per DECNET lifter kind: 36 rules, R0001–R0006 and R0030–R0059, versions 2 for R0054/R0055/R0057", () => {
    const ids = DECNET_SHAPED_RULES.map((r) => r.ruleId);
    const expected = [...["01", "02", "03", "04", "05", "06"], ...Array.from({ length: 30 }, (_, i) => String(30 + i))].map((n) => `R00${n}`);
    expect(ids).toEqual(expected);
    expect(new Set(DECNET_SHAPED_FACTS.map((f) => f.kind)).size).toBe(36);
    expect(RULES.filter((r) => r.ruleVersion === 2).map((r) => r.ruleId)).toEqual(["R0054", "R0055", "R0057"]);
    for (const r of RULES) expect(r.match.type).toBe("analyzer");
  });

  it("parseRule: no errors; warnings only R0030's unknown kind and R0031's tactic", () => {
    const warnings: string[] = [];
    for (const r of DECNET_SHAPED_RULES) {
      const { rule, issues } = parseRule(r.yaml, { source: r.ruleId, expectedRuleId: r.ruleId, runTests: false });
      expect(issues.filter((i) => i.severity === "error"), r.ruleId).toEqual([]);
      expect(rule?.ruleId).toBe(r.ruleId);
      for (const i of issues) warnings.push(`${r.ruleId} ${i.path.join(".")}`);
    }
    expect(warnings).toEqual(["R0030 match.kind", "R0031 emits.1.tactic"]);
  });
});

for (const [family, cases] of FAMILIES) {
  describe(`parity: ${family} (all DECNET-shaped rules loaded)`, () => {
    for (const c of cases) {
      it(c.name, () => {
        const tags = run(c.kind, structuredClone(c.payload), c.env);
        expect(brief(tags)).toEqual(c.expect);
        for (const t of tags) {
          expect(t.uuid).toBe(tagId(t.source_kind, t.source_id, t.rule_id, t.rule_version, t.technique_id, t.sub_technique_id));
          const identity = t.rule_id === "R0003";
          expect(t.attacker_uuid).toBe(identity ? null : "att-1");
          expect(t.identity_uuid).toBe(c.env?.identity_uuid ?? null);
        }
      });
    }
  });
}

describe("parity coverage", () => {
  it("every kind with an analyzer has a firing and a non-firing case", () => {
    const all = FAMILIES.flatMap(([, cases]) => cases);
    const fired = new Set(all.flatMap((c) => c.expect.map((b) => b[0])));
    const missed = new Set(all.flatMap((c) => c.misses ?? []));
    // Every negative case names its target, and the target indeed stays silent there.
    for (const c of all) if (c.misses) for (const id of c.misses) expect(c.expect.some((b) => b[0] === id), c.name).toBe(false);
    const withAnalyzer = DECNET_SHAPED_FACTS.map((f) => f.ruleId).filter((id) => id !== "R0030" && id !== "R0058");
    expect(withAnalyzer.filter((id) => !fired.has(id))).toEqual([]);
    expect(withAnalyzer.filter((id) => !missed.has(id))).toEqual([]);
  });
});

describe("Appendix A golden rows (source_id src, attacker_uuid corpus-<label>)", () => {
  const golden = (label: string, source_kind: string, payload: Record<string, unknown>): Tag[] =>
    ENGINE.evaluate({ source_kind, source_id: "src", attacker_uuid: `corpus-${label}`, payload }, NOW);
  const tag = (label: string, source_kind: string, uuid: string, rule_id: string, rule_version: number, tactic: string, technique_id: string, sub_technique_id: string | null, confidence: number, evidence: Record<string, unknown>): Tag => ({
    uuid,
    source_kind,
    source_id: "src",
    attacker_uuid: `corpus-${label}`,
    identity_uuid: null,
    session_id: null,
    decky_id: null,
    tactic,
    technique_id,
    sub_technique_id,
    confidence,
    rule_id,
    rule_version,
    evidence,
  });

  it("low_jitter_beacon → R0031 T1071 0.8 and T1029 0.85", () => {
    const ev = { beacon_interval_s: 60, beacon_jitter_pct: 0.05 };
    expect(golden("low_jitter_beacon", "session", { ...ev })).toEqual([
      tag("low_jitter_beacon", "session", "a36e8841-99c1-5b52-8f77-e62149e59f34", "R0031", 1, "TA0011", "T1071", null, 0.8, ev),
      tag("low_jitter_beacon", "session", "9bcadd0d-dc3f-5852-ad1c-2e034f7ecf4b", "R0031", 1, "TA0011", "T1029", null, 0.85, ev),
    ]);
  });

  it("k8s_secrets_list → R0037 T1552.007 0.95", () => {
    expect(golden("k8s_secrets_list", "http_request", { request_path: "/api/v1/namespaces/default/secrets" })).toEqual([
      tag("k8s_secrets_list", "http_request", "3ade3daf-6dbb-5399-8977-a8a997a8c02b", "R0037", 1, "TA0006", "T1552", "T1552.007", 0.95, { matched_path: "/api/v1/namespaces/default/secrets" }),
    ]);
  });

  it("tz_mismatch → R0052 T1090 0.7, tz_zones>=7", () => {
    expect(golden("tz_mismatch", "canary_fingerprint", { tz_mismatch_zones: 7 })).toEqual([
      tag("tz_mismatch", "canary_fingerprint", "aab4acdd-d7d0-543c-97cd-582316682a43", "R0052", 1, "TA0011", "T1090", null, 0.7, { metric: "timezone_geo_mismatch", matched_signature: "tz_zones>=7" }),
    ]);
  });

  it("mass_phish → R0042 T1566 0.85, body_sha256 of \"Click here\"", () => {
    const tags = golden("mass_phish", "email", { subject: "You have won", from_domain: "promo@evil.example", rcpt_count: 250, body_text: "Click here", body_simhash: "7be1", urls: ["http://evil.example/claim"] });
    expect(tags).toEqual([
      tag("mass_phish", "email", "67217c0f-230e-58f1-a706-87657ca854d2", "R0042", 1, "TA0001", "T1566", null, 0.85, emailEv({ body_sha256: "62dca007a0990ba139aaf818370eaa8156dd31166a3d10c0bbdd4b7afd825250", rcpt_count: 250 })),
    ]);
  });

  it("encoded_body → R0048 T1071.003 and T1027 (0.9), encoded_byte_count 8192", () => {
    const tags = golden("encoded_body", "email", { body_text: "see body", body_base64_bytes: 8192 });
    const ev = emailEv({ body_sha256: sha256("see body"), encoded_byte_count: 8192 });
    expect(tags).toEqual([
      tag("encoded_body", "email", tagId("email", "src", "R0048", 1, "T1071", "T1071.003"), "R0048", 1, "TA0011", "T1071", "T1071.003", 0.85, ev),
      tag("encoded_body", "email", "c07dd714-a22d-5a74-9e39-6e03b35c4741", "R0048", 1, "TA0005", "T1027", null, 0.9, ev),
    ]);
  });

  it("abuseipdb_brute → R0054 v2 T1110 only, 0.7 × 0.95 = 0.6649999999999999", () => {
    expect(golden("abuseipdb_brute", "intel", { abuseipdb_score: 95, abuseipdb_categories: [18, 22], provider: "abuseipdb" })).toEqual([
      tag("abuseipdb_brute", "intel", "9ee655f1-fdf5-56a7-a82b-57ecffb97c32", "R0054", 2, "TA0006", "T1110", null, 0.6649999999999999, { abuseipdb_categories: [18, 22], abuseipdb_score: 95, abuse_confidence_score: 95 }),
    ]);
  });

  it("feodo_emotet → R0056 T1071.001 and T1588.001 at 0.85", () => {
    const ev = { feodo_listed: true, malware_family: "Emotet" };
    expect(golden("feodo_emotet", "intel", { feodo_listed: true, malware_family: "Emotet" })).toEqual([
      tag("feodo_emotet", "intel", "0403b107-68dd-5925-9dbb-67f89287c693", "R0056", 1, "TA0011", "T1071", "T1071.001", 0.85, ev),
      tag("feodo_emotet", "intel", tagId("intel", "src", "R0056", 1, "T1588", "T1588.001"), "R0056", 1, "TA0042", "T1588", "T1588.001", 0.85, ev),
    ]);
  });
});

describe("§4 abbreviated corpus examples", () => {
  const ids = (kind: string, payload: Record<string, unknown>, label: string): string[] =>
    ENGINE.evaluate({ source_kind: kind, source_id: "src", attacker_uuid: `corpus-${label}`, payload }, NOW).map((t) => t.rule_id);

  it("seed_behavioral: ransom_btc → R0033 and creds_env_read → R0036 with the stated evidence", () => {
    const ransom = ENGINE.evaluate({ source_kind: "session", source_id: "src", attacker_uuid: "corpus-ransom_btc", payload: { body_text: `send 0.5 BTC to ${BTC} to decrypt your files` } }, NOW);
    expect(brief(ransom)).toEqual([["R0033", "T1486", null, 0.9, { btc_address: BTC, matched_keywords: ["btc", "decrypt"] }]]);
    const env = ENGINE.evaluate({ source_kind: "http_request", source_id: "src", attacker_uuid: "corpus-creds_env_read", payload: { request_path: "/var/www/html/.env" } }, NOW);
    expect(brief(env)).toEqual([["R0036", "T1552", "T1552.001", 0.9, { matched_path: "/var/www/html/.env" }]]);
  });

  it("seed_canary: webdriver_flag → R0049; puppeteer_canvas → R0050 (T1059, T1588.002, \"puppeteer\"); tz_mismatch → R0052 0.7", () => {
    expect(ids("canary_fingerprint", { ua_signature: "HeadlessChrome/119", navigator_webdriver: true }, "webdriver_flag")).toEqual(["R0049"]);
    const p = ENGINE.evaluate({ source_kind: "canary_fingerprint", source_id: "src", attacker_uuid: "corpus-puppeteer_canvas", payload: { canvas_audio_hash_match: "puppeteer" } }, NOW);
    expect(p.map((t) => [t.rule_id, t.sub_technique_id ?? t.technique_id, t.evidence.matched_signature])).toEqual([
      ["R0050", "T1059", "puppeteer"],
      ["R0050", "T1588.002", "puppeteer"],
    ]);
    const tz = ENGINE.evaluate({ source_kind: "canary_fingerprint", source_id: "src", attacker_uuid: "corpus-tz_mismatch", payload: { tz_mismatch_zones: 7 } }, NOW);
    expect(tz.map((t) => [t.rule_id, t.confidence, t.evidence.matched_signature])).toEqual([["R0052", 0.7, "tz_zones>=7"]]);
  });

  it("seed_commands: the three R0001 rows carry no fail_count and fire nothing", () => {
    for (const tool of ["hydra", "medusa", "ncrack"]) {
      expect(ids("auth_attempt", { username: "root", service: "ssh", result: "fail", tool }, `${tool}_ssh`)).toEqual([]);
    }
  });

  it("seed_email: bec_wire → R0045 + R0047; open_relay → R0041 + R0045; idn_url → R0044 with its host", () => {
    const bec = ENGINE.evaluate(
      { source_kind: "email", source_id: "src", attacker_uuid: "corpus-bec_wire", payload: { subject: "Urgent wire transfer needed", from_domain: "ceo@victim.example", return_path_domain: "evil.example", rcpt_count: 1, body_text: "Please send 50k transfer now" } },
      NOW,
    );
    expect(bec.map((t) => [t.rule_id, t.evidence.matched_signals ?? null, t.evidence.matched_subject_kw ?? null, t.evidence.matched_body_kw ?? null])).toEqual([
      ["R0045", ["from_returnpath_mismatch"], null, null],
      ["R0047", null, "urgent", "send"],
    ]);
    expect(ids("email", { rcpt_count: 50, from_domain: "victim.example", mail_from_domain: "evil.example" }, "open_relay")).toEqual(["R0041", "R0041", "R0045"]);
    const idn = ENGINE.evaluate({ source_kind: "email", source_id: "src", attacker_uuid: "corpus-idn_url", payload: { urls: ["https://xn--80ak6aa92e.com/login"] } }, NOW);
    expect(idn.map((t) => [t.rule_id, t.evidence.matched_url_host])).toEqual([
      ["R0044", "xn--80ak6aa92e.com"],
      ["R0044", "xn--80ak6aa92e.com"],
    ]);
  });

  it("seed_intel: abuseipdb_brute → T1110 only at 0.6649999999999999; greynoise_c2_tag → T1071 + T1588 at 0.7", () => {
    const a = ENGINE.evaluate({ source_kind: "intel", source_id: "src", attacker_uuid: "corpus-abuseipdb_brute", payload: { abuseipdb_score: 95, abuseipdb_categories: [18, 22], provider: "abuseipdb" } }, NOW);
    expect(a.map((t) => [t.rule_id, t.technique_id, t.confidence])).toEqual([["R0054", "T1110", 0.6649999999999999]]);
    const g = ENGINE.evaluate({ source_kind: "intel", source_id: "src", attacker_uuid: "corpus-greynoise_c2_tag", payload: { greynoise_classification: "malicious", greynoise_tags: ["cobalt_strike"] } }, NOW);
    expect(g.map((t) => [t.rule_id, t.technique_id, t.confidence])).toEqual([
      ["R0055", "T1071", 0.7],
      ["R0055", "T1588", 0.7],
    ]);
  });

  it("seed_intel: the R0057 rows with only ioc_type / malware_family do NOT fire (v2 reads threatfox_threat_types ‖ threat_type)", () => {
    expect(ids("intel", { ioc_type: "botnet_cc", malware_family: "sliver" }, "threatfox_botnet_cc")).toEqual([]);
    expect(ids("intel", { ioc_type: "payload_delivery", malware_family: "asyncrat" }, "threatfox_payload")).toEqual([]);
  });
});

// ---- state gate (§1.5): one analyzer of each family ----------------------------------------------

const state = (s: Partial<RuleState>): RuleState => ({ state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null, ...s });
const PAST = new Date(NOW - 60_000).toISOString();
const FUTURE = new Date(NOW + 60_000).toISOString();

/** An engine with every DECNET-shaped rule, `ruleId` stamped with `s`. */
function stamped(ruleId: string, s: RuleState): Engine {
  return engineOf(RULES.map((r) => (r.ruleId === ruleId ? withState(r, s) : r)));
}

const GATE_CASES: { family: string; ruleId: string; kind: string; payload: Record<string, unknown>; env?: Partial<TtpEvent>; base: number[] }[] = [
  { family: "behavioral", ruleId: "R0031", kind: "session", payload: { beacon_interval_s: 60, beacon_jitter_pct: 0.05 }, base: [0.8, 0.85] },
  { family: "intel", ruleId: "R0056", kind: "intel", payload: { feodo_listed: true }, base: [0.85, 0.85] },
  { family: "canary", ruleId: "R0052", kind: "canary_fingerprint", payload: { tz_mismatch_zones: 4 }, base: [0.7] },
  { family: "email", ruleId: "R0044", kind: "email", payload: { urls: ["http://xn--pple-43d.com/"] }, base: [0.9, 0.9] },
  { family: "identity", ruleId: "R0003", kind: "identity", payload: { shared_password_hash: "h", account_count: 5 }, env: { identity_uuid: "id-1" }, base: [0.9] },
  { family: "credential", ruleId: "R0006", kind: "auth_attempt", payload: { username: "admin", password: "admin" }, base: [0.9] },
  { family: "ipv6", ruleId: "R0059", kind: "ipv6_leak", payload: { addr: "fe80::9" }, base: [0.85] },
  { family: "credential (clip below one base only)", ruleId: "R0005", kind: "auth_attempt", payload: { result: "success", prior_brute: true }, base: [0.7] },
];

describe("state gate on every family (§1.5)", () => {
  for (const g of GATE_CASES) {
    describe(`${g.family}: ${g.ruleId}`, () => {
      const confidences = (s: RuleState | null): number[] => {
        const engine = s === null ? ENGINE : stamped(g.ruleId, s);
        return run(g.kind, { ...g.payload }, g.env ?? {}, engine)
          .filter((t) => t.rule_id === g.ruleId)
          .map((t) => t.confidence);
      };

      it("enabled: base confidences", () => expect(confidences(null)).toEqual(g.base));
      it("disabled: no tag", () => expect(confidences(state({ state: "disabled" }))).toEqual([]));
      it("disabled until a future instant: no tag", () => expect(confidences(state({ state: "disabled", expires_at: FUTURE }))).toEqual([]));
      it("clipped to 0.5: min(base, 0.5)", () => expect(confidences(state({ state: "clipped", confidence_max: 0.5 }))).toEqual(g.base.map((b) => Math.min(b, 0.5))));
      it("clipped to 0.75: a ceiling never raises", () =>
        expect(confidences(state({ state: "clipped", confidence_max: 0.75 }))).toEqual(g.base.map((b) => Math.min(b, 0.75))));
      it("expired disable fires again at base", () => expect(confidences(state({ state: "disabled", expires_at: PAST }))).toEqual(g.base));
      it("expired clip no longer clips", () => expect(confidences(state({ state: "clipped", confidence_max: 0.5, expires_at: PAST }))).toEqual(g.base));
      it("the other rules' tags are untouched by the state", () => {
        const all = run(g.kind, { ...g.payload }, g.env ?? {}, stamped(g.ruleId, state({ state: "disabled" })));
        expect(all.filter((t) => t.rule_id === g.ruleId)).toEqual([]);
        const others = run(g.kind, { ...g.payload }, g.env ?? {}).filter((t) => t.rule_id !== g.ruleId);
        expect(brief(all)).toEqual(brief(others));
      });
    });
  }
});

describe("intel multiplier × clip (§1.8): the clip applies to base × multiplier, then [0, 1]", () => {
  const r0054 = (score: number, s: RuleState | null): number[] =>
    run("intel", { abuseipdb_score: score, abuseipdb_categories: [18] }, {}, s === null ? ENGINE : stamped("R0054", s)).map((t) => t.confidence);

  it("score 95, clip 0.6 → 0.6 (not min(0.7, 0.6) × 0.95 = 0.57)", () => expect(r0054(95, state({ state: "clipped", confidence_max: 0.6 }))).toEqual([0.6]));
  it("score 95, clip 0.7 → 0.6649999999999999 (the ceiling is above the product)", () =>
    expect(r0054(95, state({ state: "clipped", confidence_max: 0.7 }))).toEqual([0.6649999999999999]));
  it("score 200, clip 0.5 → 0.5 (not 0.5 × 2)", () => expect(r0054(200, state({ state: "clipped", confidence_max: 0.5 }))).toEqual([0.5]));
  it("score 200 unclipped → 1.4 clamped to 1 (project decision)", () => expect(r0054(200, null)).toEqual([1]));
  it("negative score → clamped to 0", () => expect(r0054(-50, null)).toEqual([0]));
  it("score 30 → 0.21: emitted (the 0.3 floor belongs to the sinks)", () => expect(r0054(30, null)).toEqual([0.7 * 0.3]));
  it("greynoise bare malicious × clip 0.3 → 0.3 (0.35 clipped)", () => {
    const tags = run("intel", { greynoise_classification: "malicious" }, {}, stamped("R0055", state({ state: "clipped", confidence_max: 0.3 })));
    expect(tags.map((t) => [t.rule_id, t.technique_id, t.confidence])).toEqual([["R0055", "T1071", 0.3]]);
  });
});

describe("identity anchor", () => {
  const payload = { shared_password_hash: "h:spring", account_count: 4 };

  it("tags carry identity_uuid and a null attacker_uuid, whatever the envelope's attacker_uuid", () => {
    const tags = run("identity", { ...payload }, { attacker_uuid: "att-9", identity_uuid: "id-9", session_id: "s-1", decky_id: "d-1" });
    expect(tags.map((t) => [t.rule_id, t.attacker_uuid, t.identity_uuid, t.session_id, t.decky_id])).toEqual([["R0003", null, "id-9", "s-1", "d-1"]]);
  });

  it("no identity_uuid (null or absent) → no tag, even with an attacker_uuid", () => {
    expect(run("identity", { ...payload }, { attacker_uuid: "att-9", identity_uuid: null })).toEqual([]);
    expect(run("identity", { ...payload }, { attacker_uuid: "att-9" })).toEqual([]);
  });

  it("other families need no anchor: a session event without attacker_uuid still tags", () => {
    const tags = run("session", { llmnr_poisoned: true }, { attacker_uuid: null });
    expect(tags.map((t) => [t.rule_id, t.attacker_uuid, t.identity_uuid])).toEqual([["R0039", null, null]]);
  });
});

describe("R0030 and R0058 never fire", () => {
  it("R0030 (lifter:c2_fingerprint has no analyzer): session events with JARM/HASSH data", () => {
    const payload = { jarm: "07d14d16d21d21d07c42d41d00041d24a458a375eef0c576d23a7bab9a9fb1", hassh: "ec7378c1a92f5a8dde7e8b7a1ddf33d1", matched_framework: "cobaltstrike", catalogues: ["jarm", "hassh"] };
    expect(run("session", { ...payload }).filter((t) => t.rule_id === "R0030")).toEqual([]);
    expect(ENGINE.matchingRuleIds({ source_kind: "session", source_id: "x", payload })).not.toContain("R0030");
  });

  it("R0058 (intel_aggregate_bump) emits nothing and bumps nothing, even when the other intel rules fire", () => {
    const payload = { aggregate_verdict: "malicious", bumped_rule_ids: ["R0054"], abuseipdb_score: 90, abuseipdb_categories: [22], feodo_listed: true };
    const tags = run("intel", { ...payload });
    expect(tags.map((t) => [t.rule_id, t.technique_id, t.confidence])).toEqual([
      ["R0054", "T1110", 0.7 * 0.9],
      ["R0056", "T1071", 0.85],
      ["R0056", "T1588", 0.85],
    ]);
    expect(run("intel", { aggregate_verdict: "malicious", bump_amount: 0.05 })).toEqual([]);
    expect(ENGINE.matchingRuleIds({ source_kind: "intel", source_id: "x", payload })).not.toContain("R0058");
  });
});

describe("e-mail body from the artifacts store (§3.5.4)", () => {
  const DISK_BODY = "Kindly transfer the balance today.";
  function diskEngine(): { engine: Engine; calls: () => number } {
    let n = 0;
    const engine = new Engine({
      clock: () => NOW,
      emailBodyReader: (p) => {
        n++;
        return p.decky_id === "decky-01" && typeof p.stored_as === "string" ? DISK_BODY : null;
      },
    });
    engine.replaceAll(RULES);
    return { engine, calls: () => n };
  }
  const stored = { decky_id: "decky-01", stored_as: "2026-06-30T10:00:00Z_0123456789ab_msg.eml" };

  it("read once per event; rules before the first body reader (R0045) do not hash it, R0047 does", () => {
    const { engine, calls } = diskEngine();
    const tags = run("email", { subject: "Payroll change", from_domain: "hr@corp.example", return_path_domain: "bulk.example", ...stored }, {}, engine);
    expect(brief(tags)).toEqual([
      ["R0045", "T1036", null, 0.85, emailEv({ matched_headers: ["From", "Return-Path"], matched_signals: ["from_returnpath_mismatch"] })],
      ["R0047", "T1566", "T1566.003", 0.85, emailEv({ body_sha256: sha256(DISK_BODY), matched_headers: ["Subject"], matched_subject_kw: "payroll", matched_body_kw: "transfer" })],
    ]);
    expect(calls()).toBe(1);
  });

  it("an inline body_text, even \"\", short-circuits the store", () => {
    const { engine, calls } = diskEngine();
    expect(run("email", { subject: "Payroll change", body_text: "", ...stored }, {}, engine)).toEqual([]);
    expect(calls()).toBe(0);
  });
});
