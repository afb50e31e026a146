// DECNET's behavioral analyzer family (analyzers.md §2 rows 8–17), re-implemented from the
// behavioural specification. Each predicate compares values upstream producers already
// aggregated into the payload: there is no state across events (§1.10).
//
// Evidence: the rule's evidence_fields present in the payload (ctx.copied()), then overwritten or
// extended by the kind's computed keys (§1.7).
import type { z } from "zod";
import type {
  beaconingParams,
  credentialsInFilesParams,
  dataDestructionParams,
  dbMassReadParams,
  dockerEscapeParams,
  exfilOverWebParams,
  k8sSaTokenParams,
  llmnrPoisoningParams,
  ransomNoteParams,
  tftpRouterConfigParams,
} from "../../rules/analyzers/behavioral";
import { illTyped, isBool, isInt, isNum, lowerOnce, own, PatternList, present, pyOr3, pyOr4, stringsOf } from "./py";
import { SKIP, type Analyzer, type AnalyzerContext, type AnalyzerOutcome, type Fire, type Payload } from "./types";

function fire(ctx: AnalyzerContext, extras?: Record<string, unknown>): Fire {
  const evidence = ctx.copied();
  if (extras) Object.assign(evidence, extras);
  return { evidence };
}

// ---------------------------------------------------------------------------------------------
// Row 8: beaconing

interface BeaconingConfig {
  readonly minInterval: number;
  readonly maxJitter: number;
}

const beaconing: Analyzer<z.output<typeof beaconingParams>, BeaconingConfig> = {
  kind: "lifter:behavioral_beaconing",
  family: "behavioral",
  prepare: (params) => ({ minInterval: params.min_interval_s, maxJitter: params.max_jitter_pct }),
  evaluate(config, payload, ctx) {
    const interval = own(payload, "beacon_interval_s");
    const jitter = own(payload, "beacon_jitter_pct");
    if (illTyped(interval, isNum) || illTyped(jitter, isNum)) return SKIP;
    if (!isNum(interval) || !isNum(jitter)) return null;
    return interval >= config.minInterval && jitter <= config.maxJitter ? fire(ctx) : null;
  },
};

// ---------------------------------------------------------------------------------------------
// Row 9: data destruction

const dataDestruction: Analyzer<z.output<typeof dataDestructionParams>, PatternList> = {
  kind: "lifter:behavioral_data_destruction",
  family: "behavioral",
  prepare: (params) => new PatternList(params.patterns),
  evaluate(patterns, payload, ctx) {
    const text = pyOr3(own(payload, "op_text"), own(payload, "command_text"), "");
    // pyOr yields a non-string only when a truthy (hence present) non-string was found.
    if (typeof text !== "string") return SKIP;
    const i = patterns.firstMatch(text);
    // matched_op is the pattern's source text, not the matched substring.
    return i < 0 ? null : fire(ctx, { matched_op: patterns.sources[i] });
  },
};

// ---------------------------------------------------------------------------------------------
// Row 10: ransom note
//
// BTC_RE / XMR_RE (§3.6) are `\b…\b` searches whose every character is a word character, so a
// match is exactly one whole maximal run of Python-\w characters (Unicode letters, numbers and
// "_"). The text is tokenised into those runs (a linear scan) and each run is tested whole
// against the anchored address shape: linear time, Python's Unicode `\b` semantics.

const BTC_SHAPE = /^(?:[13][a-km-zA-HJ-NP-Z1-9]{25,34}|bc1[ac-hj-np-z02-9]{11,71})$/;
const XMR_SHAPE = /^4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}$/;
const BTC_MIN = 14; // bc1 + 11
const BTC_MAX = 74; // bc1 + 71
const XMR_LEN = 95;
const UNICODE_WORD = /^[\p{L}\p{N}]$/u;
/** Per BMP code point: 0 not yet known, 1 a word character, 2 not one. */
const BMP_WORD = new Uint8Array(0x10000);
const ASCII_WORD = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ASCII_WORD[c.charCodeAt(0)] = 1;

/** The code point at i is a Python \w character; its length in UTF-16 units (0 when it is not one). */
function wordUnits(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 128) return ASCII_WORD[c] === 1 ? 1 : 0;
  const cp = text.codePointAt(i) as number;
  if (cp > 0xffff) return UNICODE_WORD.test(String.fromCodePoint(cp)) ? 2 : 0;
  // BMP answers memoised per code point (a regex test per character cost ~0.3 µs).
  let known = BMP_WORD[cp] as number;
  if (known === 0) {
    known = UNICODE_WORD.test(String.fromCharCode(cp)) ? 1 : 2;
    BMP_WORD[cp] = known;
  }
  return known === 1 ? 1 : 0;
}

/**
 * Whether text holds `min` consecutive ASCII word characters — necessary for any address, whose
 * characters are all ASCII. Each window of `min` characters is read from its end back to its first
 * non-word character, and the next window starts after that character (no run of `min` can
 * contain it): prose is ruled out reading a fraction of its characters, and no character is read
 * more than twice.
 */
export function hasAsciiWordRun(text: string, min: number): boolean {
  const len = text.length;
  let i = 0;
  while (i + min <= len) {
    let j = i + min - 1;
    for (; j >= i; j--) {
      const c = text.charCodeAt(j);
      if (c >= 128 || ASCII_WORD[c] !== 1) break;
    }
    if (j < i) return true;
    i = j + 1;
  }
  return false;
}

/** The first BTC address in text order, else the first XMR address, else null. */
export function findCryptoAddress(text: string): string | null {
  let firstXmr: string | null = null;
  const len = text.length;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    // ASCII inline (nearly every character); wordUnits only past it.
    const w = c < 128 ? ASCII_WORD[c] : wordUnits(text, i);
    if (w === 0) {
      i++;
      continue;
    }
    const start = i;
    i += w as number;
    while (i < len) {
      const d = text.charCodeAt(i);
      const u = d < 128 ? (ASCII_WORD[d] as number) : wordUnits(text, i);
      if (u === 0) break;
      i += u;
    }
    // Only whole runs with an address's first character and length are candidates (every address
    // character is ASCII, so a run's UTF-16 length is its length in characters when it matches).
    const n = i - start;
    const first = text.charCodeAt(start);
    if ((first === 49 || first === 51 || first === 98) && n >= BTC_MIN && n <= BTC_MAX) {
      const run = text.slice(start, i);
      if (BTC_SHAPE.test(run)) return run;
    } else if (first === 52 && n === XMR_LEN && firstXmr === null) {
      const run = text.slice(start, i);
      if (XMR_SHAPE.test(run)) firstXmr = run;
    }
  }
  return firstXmr;
}

interface RansomConfig {
  readonly keywords: readonly { readonly spelling: string; readonly lower: string }[];
  readonly requireAddress: boolean;
}

const ransomNote: Analyzer<z.output<typeof ransomNoteParams>, RansomConfig> = {
  kind: "lifter:behavioral_ransom_note",
  family: "behavioral",
  prepare: (params) => ({
    keywords: params.payment_keywords.map((k) => ({ spelling: k, lower: k.toLowerCase() })),
    requireAddress: params.require_btc_or_xmr,
  }),
  evaluate(config, payload, ctx) {
    const text = pyOr3(own(payload, "body_text"), own(payload, "note_text"), "");
    if (typeof text !== "string") return SKIP;
    if (text === "") return null;
    // Both conditions are pure, so the cheaper one goes first: the address search, ruled out in
    // most texts without lowering them (the keyword search lowers the text and scans it once per
    // keyword).
    let address: string | null = null;
    if (config.requireAddress) {
      // Every address holds a 1, 3 or 4 (its first character, or bc1's): a native search rules
      // out most prose before the run scan.
      if (!(text.includes("1") || text.includes("3") || text.includes("4")) || !hasAsciiWordRun(text, BTC_MIN)) return null;
      address = findCryptoAddress(text);
      if (address === null) return null;
    }
    const lower = lowerOnce(ctx, text);
    const hits: string[] = [];
    for (const k of config.keywords) if (lower.includes(k.lower)) hits.push(k.spelling);
    if (hits.length === 0) return null;
    // An XMR address is reported under btc_address too, as upstream does.
    return address === null ? fire(ctx, { matched_keywords: hits }) : fire(ctx, { matched_keywords: hits, btc_address: address });
  },
};

// ---------------------------------------------------------------------------------------------
// Row 11: exfiltration over web

interface ExfilConfig {
  readonly minBytes: number;
  readonly minRequests: number;
}

const exfilOverWeb: Analyzer<z.output<typeof exfilOverWebParams>, ExfilConfig> = {
  kind: "lifter:behavioral_exfil_over_web",
  family: "behavioral",
  prepare: (params) => ({ minBytes: params.min_payload_bytes, minRequests: params.request_threshold }),
  evaluate(config, payload, ctx) {
    const bytes = own(payload, "bytes_out");
    const requests = own(payload, "request_count");
    if (isNum(bytes) && bytes >= config.minBytes) return fire(ctx);
    if (isInt(requests) && requests >= config.minRequests) return fire(ctx);
    return illTyped(bytes, isNum) || illTyped(requests, isInt) ? SKIP : null;
  },
};

// ---------------------------------------------------------------------------------------------
// Row 12: database mass read

interface DbReadConfig {
  readonly minRows: number;
  readonly minBytes: number;
}

const dbMassRead: Analyzer<z.output<typeof dbMassReadParams>, DbReadConfig> = {
  kind: "lifter:behavioral_db_mass_read",
  family: "behavioral",
  prepare: (params) => ({ minRows: params.min_rows, minBytes: params.min_bytes }),
  evaluate(config, payload, ctx) {
    const rows = own(payload, "rows_read");
    const bytes = own(payload, "bytes_read");
    if (isInt(rows) && rows >= config.minRows) return fire(ctx);
    if (isNum(bytes) && bytes >= config.minBytes) return fire(ctx);
    return illTyped(rows, isInt) || illTyped(bytes, isNum) ? SKIP : null;
  },
};

// ---------------------------------------------------------------------------------------------
// Rows 13, 14: path patterns (credentials in files, Kubernetes service-account token)

function pathMatch(patterns: PatternList, payload: Payload, ctx: AnalyzerContext): AnalyzerOutcome {
  const path = pyOr4(own(payload, "matched_path"), own(payload, "request_path"), own(payload, "path"), "");
  if (typeof path !== "string") return SKIP;
  if (path === "") return null;
  // matched_path is the whole path value used, not the pattern or the matched substring.
  return patterns.firstMatch(path) < 0 ? null : fire(ctx, { matched_path: path });
}

const credentialsInFiles: Analyzer<z.output<typeof credentialsInFilesParams>, PatternList> = {
  kind: "lifter:behavioral_credentials_in_files",
  family: "behavioral",
  prepare: (params) => new PatternList(params.paths),
  evaluate: pathMatch,
};

const k8sSaToken: Analyzer<z.output<typeof k8sSaTokenParams>, PatternList> = {
  kind: "lifter:behavioral_k8s_sa_token",
  family: "behavioral",
  prepare: (params) => new PatternList(params.paths),
  evaluate: pathMatch,
};

// ---------------------------------------------------------------------------------------------
// Row 15: docker escape

const dockerEscape: Analyzer<z.output<typeof dockerEscapeParams>, readonly string[]> = {
  kind: "lifter:behavioral_docker_escape",
  family: "behavioral",
  prepare: (params) => params.signals,
  evaluate(signals, payload, ctx) {
    const raw = own(payload, "signals");
    const observed = stringsOf(raw); // non-string elements are ignored
    if (observed === null) return present(raw) ? SKIP : null;
    if (observed.length === 0) return null;
    const seen = new Set(observed);
    // Exact equality, first in spec order: "bind:/etc/passwd:/x" is not "bind:/etc".
    for (const s of signals) if (seen.has(s)) return fire(ctx, { matched_signal: s });
    return null;
  },
};

// ---------------------------------------------------------------------------------------------
// Row 16: LLMNR/NBT-NS poisoning

const llmnrPoisoning: Analyzer<z.output<typeof llmnrPoisoningParams>, null> = {
  kind: "lifter:behavioral_llmnr_poisoning",
  family: "behavioral",
  prepare: () => null,
  evaluate(_config, payload, ctx) {
    const poisoned = own(payload, "llmnr_poisoned");
    const count = own(payload, "llmnr_poison_count");
    if (poisoned === true || (isInt(count) && count >= 1)) return fire(ctx);
    return illTyped(poisoned, isBool) || illTyped(count, isInt) ? SKIP : null;
  },
};

// ---------------------------------------------------------------------------------------------
// Row 17: TFTP router configuration

const tftpRouterConfig: Analyzer<z.output<typeof tftpRouterConfigParams>, PatternList> = {
  kind: "lifter:behavioral_tftp_router_config",
  family: "behavioral",
  prepare: (params) => new PatternList(params.filename_patterns),
  evaluate(patterns, payload, ctx) {
    const name = own(payload, "tftp_filename");
    if (!present(name)) return null;
    if (typeof name !== "string") return SKIP;
    if (name === "") return null;
    return patterns.firstMatch(name) < 0 ? null : fire(ctx);
  },
};

export const behavioralAnalyzers: readonly Analyzer<any, any>[] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
  beaconing,
  dataDestruction,
  ransomNote,
  exfilOverWeb,
  dbMassRead,
  credentialsInFiles,
  k8sSaToken,
  dockerEscape,
  llmnrPoisoning,
  tftpRouterConfig,
];
