import { z } from "zod";
import type { AnalyzerSpec } from "./types";

// Parameters of DECNET's email analyzers (analyzers.md §2 rows 18–25, §3.5). Defaults are
// upstream's code defaults for an absent key; the descriptions give DECNET's YAML value.

/** Payload fields every email fire reads for its PII-safe base evidence (§3.5.2). */
const BASE_READS = ["body_sha256", "rcpt_domains", "attachment_sha256s", "rcpt_count", "body_text"] as const;

function reads(...fields: string[]): readonly string[] {
  return [...new Set([...fields, ...BASE_READS])];
}

export const OpenRelayParams = z.looseObject({
  rcpt_threshold: z
    .number()
    .int()
    .default(10)
    .describe("Fires when the payload's rcpt_count is at least this. Default 10 (DECNET's YAML: 10)"),
  require_foreign_from: z
    .boolean()
    .default(false)
    .describe(
      "Also require the From and MAIL FROM domains to be both present and different (exact comparison: a subdomain differs). " +
        "Default false (DECNET's YAML: true)",
    ),
});
export type OpenRelayParams = z.output<typeof OpenRelayParams>;

export const MassPhishParams = z.looseObject({
  rcpt_threshold: z
    .number()
    .int()
    .default(25)
    .describe("Fires when rcpt_count is at least this and the payload carries a body_simhash. Default 25 (DECNET's YAML: 25)"),
  body_simhash_window_h: z
    .number()
    .optional()
    .describe("Unused upstream; accepted (the producer aggregates). DECNET's YAML: 24"),
});
export type MassPhishParams = z.output<typeof MassPhishParams>;

export const XmailerKitParams = z.looseObject({
  catalog: z
    .string()
    .optional()
    .describe('Unused upstream; accepted (the producer matches the catalogue and sets matched_kit). DECNET\'s YAML: "phishing_kits"'),
});
export type XmailerKitParams = z.output<typeof XmailerKitParams>;

export const IdnUrlParams = z.looseObject({
  punycode_prefix: z
    .string()
    .default("xn--")
    .describe(
      'Fires on the first URL containing this text anywhere (case-sensitive; no IDNA decoding, so "XN--" does not match "xn--"). ' +
        '"" means "xn--". Default "xn--" (DECNET\'s YAML: "xn--")',
    ),
});
export type IdnUrlParams = z.output<typeof IdnUrlParams>;

export const MASQUERADE_SIGNALS = ["from_returnpath_mismatch", "from_mailfrom_mismatch", "dkim_fail", "spf_fail"] as const;

export const SenderMasqueradeParams = z.looseObject({
  signals: z
    .array(z.enum(MASQUERADE_SIGNALS, { message: `a signal is one of ${MASQUERADE_SIGNALS.join(", ")}` }))
    .default([])
    .describe(
      "Enabled signals: from_returnpath_mismatch, from_mailfrom_mismatch (domains compared after lowercasing and taking the text after the first @), " +
        "dkim_fail (dkim_signed === false), spf_fail (spf_pass === false). Default [] (never fires); DECNET's YAML: all 4",
    ),
});
export type SenderMasqueradeParams = z.output<typeof SenderMasqueradeParams>;

export const ATTACHMENT_TRIGGERS = ["office_macro", "protected_archive", "html_smuggling", "mal_hash_match", "lnk", "iso", "img"] as const;

export const MaliciousAttachmentParams = z.looseObject({
  triggers: z
    .array(z.enum(ATTACHMENT_TRIGGERS, { message: `a trigger is one of ${ATTACHMENT_TRIGGERS.join(", ")}` }))
    .default([])
    .describe(
      "Enabled triggers, checked in this fixed order: office_macro, protected_archive, html_smuggling, mal_hash_match (payload flags === true), " +
        'then the attachment extensions lnk, iso, img (lowercased, leading dots stripped; "invoice.lnk" is not an extension). ' +
        "Default [] (never fires); DECNET's YAML: all 7",
    ),
});
export type MaliciousAttachmentParams = z.output<typeof MaliciousAttachmentParams>;

export const BecParams = z.looseObject({
  subject_keywords: z
    .array(z.string().min(1, { message: "a keyword must not be empty (upstream: an empty keyword first in the list makes the list never match)" }))
    .default([])
    .describe(
      "Case-insensitive substrings of the subject (no word boundaries: \"wire\" matches \"hardwired\"); the first hit in list order is reported. " +
        'Default [] (never fires); DECNET\'s YAML: [urgent, wire, invoice, payroll, "gift card"]',
    ),
  body_action_keywords: z
    .array(z.string().min(1, { message: "a keyword must not be empty (upstream: an empty keyword first in the list makes the list never match)" }))
    .default([])
    .describe(
      "Case-insensitive substrings of the body (body_text, else the stored .eml); the first hit in list order is reported. " +
        'Default [] (never fires); DECNET\'s YAML: [send, transfer, "update banking", confidential]',
    ),
});
export type BecParams = z.output<typeof BecParams>;

export const EncodedPayloadParams = z.looseObject({
  min_bytes: z
    .number()
    .int()
    .default(4096)
    .describe(
      "Fires when body_base64_bytes is at least this, or when one contiguous base64 run of the body (≥ 32 characters, newlines break runs) " +
        "decodes to at least this many bytes. Default 4096 (DECNET's YAML: 4096)",
    ),
  encoding: z.string().optional().describe('Unused upstream; accepted. DECNET\'s YAML: "base64"'),
});
export type EncodedPayloadParams = z.output<typeof EncodedPayloadParams>;

export const emailSpecs: readonly AnalyzerSpec[] = [
  {
    kind: "lifter:email_open_relay",
    family: "email",
    summary: "Fires when a message has at least rcpt_threshold recipients, optionally only when its From and MAIL FROM domains differ (open relay abuse, T1496/T1586.002).",
    params: OpenRelayParams,
    patternParams: [],
    reads: reads("rcpt_count", "from_domain", "from", "mail_from_domain", "mail_from"),
  },
  {
    kind: "lifter:email_mass_phish",
    family: "email",
    summary: "Fires when a message with a body_simhash has at least rcpt_threshold recipients (mass phishing, T1566).",
    params: MassPhishParams,
    patternParams: [],
    reads: reads("rcpt_count", "body_simhash"),
  },
  {
    kind: "lifter:email_xmailer_kit",
    family: "email",
    summary: "Fires when a message has an X-Mailer that the producer matched to a phishing kit (matched_kit or xmailer_kit_match; T1566/T1588.001).",
    params: XmailerKitParams,
    patternParams: [],
    reads: reads("x_mailer", "matched_kit", "xmailer_kit_match"),
  },
  {
    kind: "lifter:email_idn_url",
    family: "email",
    summary: "Fires when a URL of the message contains the punycode prefix xn-- (IDN look-alike link, T1036.005/T1566.002).",
    params: IdnUrlParams,
    patternParams: [],
    reads: reads("urls"),
  },
  {
    kind: "lifter:email_sender_masquerade",
    family: "email",
    summary: "Fires when the From domain differs from Return-Path or MAIL FROM, or DKIM or SPF failed, for the enabled signals (T1036).",
    params: SenderMasqueradeParams,
    patternParams: [],
    reads: reads("from_domain", "return_path_domain", "mail_from_domain", "dkim_signed", "spf_pass"),
  },
  {
    kind: "lifter:email_malicious_attachment",
    family: "email",
    summary: "Fires on the first enabled attachment trigger: macros, password-protected archive, HTML smuggling, known-bad hash, or an lnk/iso/img extension (T1204.002/T1566.001).",
    params: MaliciousAttachmentParams,
    patternParams: [],
    reads: reads("attachment_macros", "attachment_password_protected", "html_smuggling", "mal_hash_match", "attachment_extensions"),
  },
  {
    kind: "lifter:email_bec",
    family: "email",
    summary: "Fires when the subject contains a pressure keyword and the body an action keyword (business e-mail compromise, T1566.003).",
    params: BecParams,
    patternParams: [],
    reads: reads("subject", "body_text", "decky_id", "stored_as"),
  },
  {
    kind: "lifter:email_encoded_payload",
    family: "email",
    summary: "Fires when the body carries a base64 blob of at least min_bytes decoded bytes (body_base64_bytes or a scan of the body; T1071.003/T1027).",
    params: EncodedPayloadParams,
    patternParams: [],
    reads: reads("body_text", "body_base64_bytes", "decky_id", "stored_as"),
  },
];
