// DECNET's email analyzers (analyzers.md §2 rows 18–25, §3.3, §3.5), re-implemented from the
// behavioural specification. Evidence ignores evidence_fields: a PII-safe base (§3.5.2), the
// rule's matched headers and extras, filtered to the 12 email keys, then the body_sha256 fallback.
import { hash } from "node:crypto";
import {
  ATTACHMENT_TRIGGERS,
  type BecParams,
  type EncodedPayloadParams,
  type IdnUrlParams,
  type MaliciousAttachmentParams,
  type MassPhishParams,
  type OpenRelayParams,
  type SenderMasqueradeParams,
  type XmailerKitParams,
} from "../../rules/analyzers/email";
import { illTyped, isBool, isInt, isNonEmptyStr, isStr, lowerOnce, own, present, pyOr, stringsOf, truthy } from "./py";
import { SKIP, type Analyzer, type AnalyzerContext, type AnalyzerOutcome, type Fire, type Payload, type Skip } from "./types";

/** The email evidence schema (analyzers.md §1.7): no other key ever leaves an email fire. */
export const EMAIL_EVIDENCE_KEYS: ReadonlySet<string> = new Set([
  "body_sha256",
  "matched_headers",
  "rcpt_domain_set",
  "attachment_sha256s",
  "rcpt_count",
  "matched_kit",
  "matched_trigger",
  "matched_url_host",
  "matched_signals",
  "matched_subject_kw",
  "matched_body_kw",
  "encoded_byte_count",
]);

// Python's str.strip() whitespace (str.isspace): JS trim() also strips U+FEFF but not U+001C–U+001F, U+0085.
function isPySpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    (c >= 0x1c && c <= 0x20) ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Python's str.strip(), by index (a `\s+$` regex backtracks quadratically on inner whitespace runs of attacker text). */
function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPySpace(s.charCodeAt(start))) start++;
  while (end > start && isPySpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * DECNET's domain normaliser (§3.5.1): null for a non-string or "", else the text after the first
 * "@" (or the whole value), lowercased and stripped — possibly "".
 */
export function dom(v: unknown): string | null {
  if (typeof v !== "string" || v === "") return null;
  const at = v.indexOf("@");
  return pyStrip((at >= 0 ? v.slice(at + 1) : v).toLowerCase());
}

/** Orders strings by code point, as Python's sorted() does (JS compares UTF-16 code units). */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// Surrogates encode code points above U+FFFF: rank them above U+E000–U+FFFF.
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** Any UTF-16 surrogate: only then does code point order differ from the default (code unit) sort. */
const SURROGATE = /[\uD800-\uDFFF]/;

function sortedSet(values: Iterable<string>): string[] {
  const unique = [...new Set(values)];
  // The native comparator-free sort is several times faster on thousands of attacker-supplied
  // domains; it orders by UTF-16 code unit, which is code point order without surrogates.
  for (let i = 0; i < unique.length; i++) if (SURROGATE.test(unique[i] as string)) return unique.sort(byCodePoint);
  return unique.sort();
}

/**
 * The PII-safe base (§3.5.2), computed once per event when a rule fires. `rcpt_domains` counts
 * only as a list: upstream iterates a string by character and an object by key (every character
 * a "domain"; a 60 KiB string cost 12 ms) and raises on a number, losing the event — ignored here.
 */
function baseEvidence(payload: Payload): Record<string, unknown> | Skip {
  const rd = own(payload, "rcpt_domains");
  const items: readonly unknown[] = Array.isArray(rd) ? rd : [];
  const domains: string[] = [];
  for (const d of items) if (typeof d === "string") domains.push(d.toLowerCase());
  const sha = own(payload, "body_sha256");
  const rcptCount = own(payload, "rcpt_count");
  return {
    body_sha256: isStr(sha) ? sha : "",
    matched_headers: [] as string[],
    rcpt_domain_set: sortedSet(domains),
    attachment_sha256s: stringsOf(own(payload, "attachment_sha256s")) ?? [],
    rcpt_count: isInt(rcptCount) ? rcptCount : 0,
  };
}

/**
 * One fire's evidence: base + matched headers (union, sorted) + extras, filtered to the email
 * keys, then body_sha256 from the body when still empty. `body` is the body the rule read (R0047,
 * R0048); other rules hash only an inline body_text (upstream sees a disk body only in rules
 * evaluated after the first body-reading one).
 */
/** Key of the per-event base evidence (built once per e-mail event, shared by every firing rule, as upstream does). */
const BASE_EVIDENCE = {};
/** Key of the per-event body hashes, as [text, sha256, …]: rules that fire on one event hash the same body. */
const BODY_SHA256 = {};

function sha256Once(ctx: AnalyzerContext, text: string): string {
  const seen = ctx.perEvent(BODY_SHA256, () => [] as string[]);
  for (let i = 0; i < seen.length; i += 2) if (seen[i] === text) return seen[i + 1] as string;
  const sha = hash("sha256", text, "hex");
  if (seen.length < 4) seen.push(text, sha);
  return sha;
}

function fire(ctx: AnalyzerContext, payload: Payload, headers: readonly string[], extras: Record<string, unknown>, body?: string): Fire | Skip {
  const base = ctx.perEvent(BASE_EVIDENCE, () => baseEvidence(payload));
  if (base === SKIP) return SKIP;
  // Built in the order and with the overrides of {...base, matched_headers, ...extras} filtered to
  // the email keys (the base holds only email keys and no matched header), without the copies.
  const evidence: Record<string, unknown> = {
    body_sha256: base.body_sha256,
    matched_headers: headers.length > 1 ? sortedSet(headers) : headers.slice(),
    rcpt_domain_set: base.rcpt_domain_set,
    attachment_sha256s: base.attachment_sha256s,
    rcpt_count: base.rcpt_count,
  };
  for (const k of Object.keys(extras)) if (EMAIL_EVIDENCE_KEYS.has(k)) evidence[k] = extras[k];
  if (!truthy(evidence.body_sha256)) {
    const inline = own(payload, "body_text");
    const text = isStr(inline) ? inline : body;
    if (isNonEmptyStr(text)) evidence.body_sha256 = sha256Once(ctx, text);
  }
  return { evidence };
}

/**
 * The message body (§3.5.4): body_text when it is a string (even "", which short-circuits the
 * disk), else the stored .eml through the context (null when there is none). `ill` tells that a
 * non-string body_text was present.
 */
function readBody(payload: Payload, ctx: AnalyzerContext): { body: string | null; ill: boolean } {
  const inline = own(payload, "body_text");
  if (isStr(inline)) return { body: inline, ill: false };
  return { body: ctx.emailBodyFromDisk(), ill: present(inline) };
}

/** Keywords in spec order: the spelling a tag reports, and the lowercase form searched for. */
interface Keywords {
  readonly spellings: readonly string[];
  readonly lowers: readonly string[];
}

function keywordsOf(keywords: readonly string[]): Keywords {
  return { spellings: keywords, lowers: keywords.map((k) => k.toLowerCase()) };
}

/**
 * The first keyword (spec order and spelling) that is a case-insensitive substring of the text,
 * or null. Upstream takes the first hit and then tests its truthiness, so an empty keyword that
 * comes first (it is in every text) ends the search with no hit (§3.3; kept for parity).
 */
function firstKeyword(keywords: Keywords, lowerText: string): string | null {
  const { spellings, lowers } = keywords;
  for (let i = 0; i < lowers.length; i++) {
    if (lowerText.includes(lowers[i] as string)) {
      const k = spellings[i] as string;
      return k === "" ? null : k;
    }
  }
  return null;
}

const B64_ALPHABET = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") B64_ALPHABET[c.charCodeAt(0)] = 1;

function isB64(c: number): boolean {
  return c < 128 && B64_ALPHABET[c] === 1;
}

/**
 * The decoded length of the first base64 run that decodes to at least `minBytes`, or -1 (§3.5.7).
 * Same result as a left-to-right search of `[A-Za-z0-9+/]{32,}={0,2}` with a strict decode of each
 * match, in one linear pass without decoding: a match is a maximal alphabet run of n ≥ 32
 * characters with the p ≤ 2 "=" after it; n%4 = 0 accepts any p, 2 needs p = 2, 3 needs p = 1,
 * 1 never decodes.
 */
export function base64RunBytes(text: string, minBytes: number): number {
  const len = text.length;
  // A run decodes to at most 3n/4 bytes, so only runs of at least `w` characters can qualify:
  // shorter ones (accepted or not) are skipped like non-members without being read.
  const w = Math.max(32, Math.ceil((4 * minBytes) / 3));
  // Invariant: the runs before i are done, and text[i - 1] or text[i] is outside the alphabet (or
  // i = 0), so a window of w members that starts at i or later starts a run. Each window is read
  // from its end back to its first character outside the alphabet, and the next window starts
  // after it (prose has a space every few characters, so most of the text is never read).
  let i = 0;
  while (i + w <= len) {
    let k = i + w - 1;
    while (k >= i && isB64(text.charCodeAt(k))) k--;
    if (k >= i) {
      i = k + 1;
      continue;
    }
    const start = i;
    let j = i + w;
    while (j < len && isB64(text.charCodeAt(j))) j++;
    const n = j - start;
    let p = 0;
    while (p < 2 && j + p < len && text.charCodeAt(j + p) === 61) p++;
    let decoded = -1;
    const r = n % 4;
    if (r === 0) decoded = (3 * n) / 4;
    else if (r === 2 && p === 2) decoded = (3 * (n - 2)) / 4 + 1;
    else if (r === 3 && p === 1) decoded = (3 * (n - 3)) / 4 + 2;
    if (decoded >= 0 && decoded >= minBytes) return decoded;
    i = j + p;
  }
  return -1;
}

const HOST_RE = /^https?:\/\/([^/]+)/;

/** The host of a URL as upstream extracts it (§3.5.5): after "//" up to the first "/", lowercased (userinfo, port, query included); "" without a lowercase http(s) scheme. */
export function urlHost(url: string): string {
  const m = HOST_RE.exec(url);
  return m && m[1] !== undefined ? m[1].toLowerCase() : "";
}

const openRelay: Analyzer<OpenRelayParams, OpenRelayParams> = {
  kind: "lifter:email_open_relay",
  family: "email",
  prepare: (params) => params,
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const rcptCount = own(payload, "rcpt_count");
    if (illTyped(rcptCount, isInt)) return SKIP;
    if (!isInt(rcptCount) || rcptCount < config.rcpt_threshold) return null;
    if (config.require_foreign_from) {
      // A truthy non-string wins the or-fallback: ill-typed. A falsy one falls through to the raw header.
      const from = pyOr(own(payload, "from_domain"), own(payload, "from"));
      const mailFrom = pyOr(own(payload, "mail_from_domain"), own(payload, "mail_from"));
      if (illTyped(from, isStr) || illTyped(mailFrom, isStr)) return SKIP;
      const a = dom(from);
      const b = dom(mailFrom);
      // dom() === "" counts as missing here (but as present for sender_masquerade, §3.3).
      if (!a || !b || a === b) return null;
    }
    return fire(ctx, payload, ["From", "Mail-From"], {});
  },
};

const massPhish: Analyzer<MassPhishParams, MassPhishParams> = {
  kind: "lifter:email_mass_phish",
  family: "email",
  prepare: (params) => params,
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const rcptCount = own(payload, "rcpt_count");
    const simhash = own(payload, "body_simhash");
    // body_simhash is a str or an int; "" is accepted (upstream also accepts booleans: not ints here).
    if (illTyped(rcptCount, isInt) || illTyped(simhash, (v) => isStr(v) || isInt(v))) return SKIP;
    if (!isInt(rcptCount) || !present(simhash) || rcptCount < config.rcpt_threshold) return null;
    return fire(ctx, payload, [], {});
  },
};

const xmailerKit: Analyzer<XmailerKitParams, XmailerKitParams> = {
  kind: "lifter:email_xmailer_kit",
  family: "email",
  prepare: (params) => params,
  evaluate(_config, payload, ctx): AnalyzerOutcome {
    const xMailer = own(payload, "x_mailer");
    const kit = own(payload, "matched_kit");
    const flag = own(payload, "xmailer_kit_match");
    if (illTyped(xMailer, isStr)) return SKIP;
    // An empty x_mailer counts as missing (§3.3); its content is never inspected.
    if (!isNonEmptyStr(xMailer)) return null;
    if (isNonEmptyStr(kit)) return fire(ctx, payload, ["X-Mailer"], { matched_kit: kit });
    if (flag === true) return fire(ctx, payload, ["X-Mailer"], {});
    return illTyped(kit, isStr) || illTyped(flag, isBool) ? SKIP : null;
  },
};

const idnUrl: Analyzer<IdnUrlParams, { readonly prefix: string }> = {
  kind: "lifter:email_idn_url",
  family: "email",
  prepare: (params) => ({ prefix: params.punycode_prefix || "xn--" }),
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const raw = own(payload, "urls");
    const urls = stringsOf(raw); // non-string elements are skipped
    if (urls === null) return present(raw) ? SKIP : null;
    // A case-sensitive substring anywhere in the URL (path and query too); no IDNA processing.
    const url = urls.find((u) => u.includes(config.prefix));
    if (url === undefined) return null;
    // The full URL is never emitted; a URL without an http(s) scheme still fires with host "".
    return fire(ctx, payload, ["body"], { matched_url_host: urlHost(url) });
  },
};

const senderMasquerade: Analyzer<SenderMasqueradeParams, { readonly signals: ReadonlySet<string> }> = {
  kind: "lifter:email_sender_masquerade",
  family: "email",
  prepare: (params) => ({ signals: new Set(params.signals) }),
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const on = config.signals;
    const fromRaw = own(payload, "from_domain");
    const returnPathRaw = own(payload, "return_path_domain");
    const mailFromRaw = own(payload, "mail_from_domain");
    const dkim = own(payload, "dkim_signed");
    const spf = own(payload, "spf_pass");
    const from = dom(fromRaw);
    const returnPath = dom(returnPathRaw);
    const mailFrom = dom(mailFromRaw);
    // dom() === "" is present here: "x@" against "evil.example" is a mismatch (§3.3). Matched
    // signals in MASQUERADE_SIGNALS order, the array only allocated when one holds.
    let matched: string[] | null = null;
    if (from !== null && returnPath !== null && from !== returnPath && on.has("from_returnpath_mismatch")) matched = ["from_returnpath_mismatch"];
    if (from !== null && mailFrom !== null && from !== mailFrom && on.has("from_mailfrom_mismatch")) (matched ??= []).push("from_mailfrom_mismatch");
    if (dkim === false && on.has("dkim_fail")) (matched ??= []).push("dkim_fail");
    if (spf === false && on.has("spf_fail")) (matched ??= []).push("spf_fail");
    if (matched === null) {
      const domainIll = (on.has("from_returnpath_mismatch") || on.has("from_mailfrom_mismatch")) && illTyped(fromRaw, isStr);
      const ill =
        domainIll ||
        (on.has("from_returnpath_mismatch") && illTyped(returnPathRaw, isStr)) ||
        (on.has("from_mailfrom_mismatch") && illTyped(mailFromRaw, isStr)) ||
        (on.has("dkim_fail") && illTyped(dkim, isBool)) ||
        (on.has("spf_fail") && illTyped(spf, isBool));
      return ill ? SKIP : null;
    }
    const headers: string[] = [];
    if (matched.includes("from_returnpath_mismatch") || matched.includes("from_mailfrom_mismatch")) headers.push("From", "Return-Path");
    if (matched.includes("dkim_fail")) headers.push("DKIM-Signature");
    if (matched.includes("spf_fail")) headers.push("Authentication-Results");
    return fire(ctx, payload, headers, { matched_signals: matched });
  },
};

const FLAG_TRIGGERS = [
  ["office_macro", "attachment_macros"],
  ["protected_archive", "attachment_password_protected"],
  ["html_smuggling", "html_smuggling"],
  ["mal_hash_match", "mal_hash_match"],
] as const;
const EXTENSION_TRIGGERS = ["lnk", "iso", "img"] as const;

const maliciousAttachment: Analyzer<MaliciousAttachmentParams, { readonly triggers: ReadonlySet<string> }> = {
  kind: "lifter:email_malicious_attachment",
  family: "email",
  prepare: (params) => ({ triggers: new Set(params.triggers.filter((t) => (ATTACHMENT_TRIGGERS as readonly string[]).includes(t))) }),
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const on = config.triggers;
    if (on.size === 0) return null;
    let ill = false;
    for (const [trigger, field] of FLAG_TRIGGERS) {
      if (!on.has(trigger)) continue;
      const v = own(payload, field);
      if (v === true) return fire(ctx, payload, [], { matched_trigger: trigger });
      if (illTyped(v, isBool)) ill = true;
    }
    if (EXTENSION_TRIGGERS.some((t) => on.has(t))) {
      const raw = own(payload, "attachment_extensions");
      const exts = stringsOf(raw);
      if (exts === null) {
        if (present(raw)) ill = true;
      } else {
        // Lowercased with every leading dot stripped ("..ISO" is iso); a whole filename never matches.
        const seen = new Set(exts.map((e) => e.toLowerCase().replace(/^\.+/, "")));
        for (const t of EXTENSION_TRIGGERS) if (on.has(t) && seen.has(t)) return fire(ctx, payload, [], { matched_trigger: t });
      }
    }
    return ill ? SKIP : null;
  },
};

const bec: Analyzer<BecParams, { readonly subject: Keywords; readonly body: Keywords }> = {
  kind: "lifter:email_bec",
  family: "email",
  prepare: (params) => ({ subject: keywordsOf(params.subject_keywords), body: keywordsOf(params.body_action_keywords) }),
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const subject = own(payload, "subject");
    if (illTyped(subject, isStr)) return SKIP;
    if (!isStr(subject)) return null;
    const subjectKw = firstKeyword(config.subject, lowerOnce(ctx, subject));
    if (subjectKw === null) return null;
    const { body, ill } = readBody(payload, ctx);
    if (body === null) return ill ? SKIP : null;
    const bodyKw = firstKeyword(config.body, lowerOnce(ctx, body));
    if (bodyKw === null) return null;
    return fire(ctx, payload, ["Subject"], { matched_subject_kw: subjectKw, matched_body_kw: bodyKw }, body);
  },
};

const encodedPayload: Analyzer<EncodedPayloadParams, EncodedPayloadParams> = {
  kind: "lifter:email_encoded_payload",
  family: "email",
  prepare: (params) => params,
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const { body, ill } = readBody(payload, ctx);
    // No body, or body_text "": no fire even when body_base64_bytes is over the threshold (§3.3).
    if (body === null) return ill ? SKIP : null;
    if (body === "") return null;
    const declared = own(payload, "body_base64_bytes");
    if (isInt(declared) && declared >= config.min_bytes) return fire(ctx, payload, [], { encoded_byte_count: declared }, body);
    const scanned = base64RunBytes(body, config.min_bytes);
    if (scanned >= 0) return fire(ctx, payload, [], { encoded_byte_count: scanned }, body);
    return illTyped(declared, isInt) ? SKIP : null;
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of predicates, each typed by its own schema
export const emailAnalyzers: readonly Analyzer<any, any>[] = [
  openRelay,
  massPhish,
  xmailerKit,
  idnUrl,
  senderMasquerade,
  maliciousAttachment,
  bec,
  encodedPayload,
];
