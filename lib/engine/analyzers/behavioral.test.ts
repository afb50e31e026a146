import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { behavioralSpecs } from "../../rules/analyzers/behavioral";
import { behavioralAnalyzers, findCryptoAddress, hasAsciiWordRun } from "./behavioral";
import { testContext } from "./testing/context";
import { SKIP, type AnalyzerOutcome, type Payload } from "./types";

const ctxFor = (payload: Payload, evidenceFields: readonly string[]) => testContext(evidenceFields, payload);

/** An evaluator for `kind` with `params` as a rule author would write them (defaults via the spec's schema). */
function rule(kind: string, params: Record<string, unknown> = {}, evidenceFields: readonly string[] = []) {
  const spec = behavioralSpecs.find((s) => s.kind === kind);
  const analyzer = behavioralAnalyzers.find((a) => a.kind === kind);
  if (!spec || !analyzer) throw new Error(`no ${kind}`);
  const config: unknown = analyzer.prepare(spec.params.parse(params));
  return (payload: Payload): AnalyzerOutcome => analyzer.evaluate(config, payload, ctxFor(payload, evidenceFields));
}

function evidenceOf(outcome: AnalyzerOutcome): Record<string, unknown> {
  if (outcome === null || outcome === SKIP || !("evidence" in outcome)) throw new Error(`no fire: ${String(outcome)}`);
  return outcome.evidence;
}

const fires = (o: AnalyzerOutcome) => o !== null && o !== SKIP && "evidence" in o;

describe("behavioral specs", () => {
  it("pairs every analyzer with a spec of the same kind and family", () => {
    expect(behavioralAnalyzers.map((a) => a.kind)).toEqual(behavioralSpecs.map((s) => s.kind));
    expect(new Set(behavioralSpecs.map((s) => s.kind)).size).toBe(10);
    for (const s of behavioralSpecs) {
      expect(s.kind.startsWith("lifter:behavioral_")).toBe(true);
      expect(s.family).toBe("behavioral");
      expect(behavioralAnalyzers.find((a) => a.kind === s.kind)?.family).toBe("behavioral");
      expect(s.summary.length).toBeGreaterThan(0);
      expect(s.reads.length).toBeGreaterThan(0);
    }
  });

  it("describes every parameter and lists pattern parameters", () => {
    for (const s of behavioralSpecs) {
      const shape = (s.params as unknown as z.ZodObject).shape;
      for (const [key, schema] of Object.entries(shape)) expect(schema.description, `${s.kind} ${key}`).toBeTruthy();
      for (const p of s.patternParams) expect(Object.keys(shape)).toContain(p);
    }
    const patternKinds = Object.fromEntries(behavioralSpecs.map((s) => [s.kind, s.patternParams]));
    expect(patternKinds).toEqual({
      "lifter:behavioral_beaconing": [],
      "lifter:behavioral_data_destruction": ["patterns"],
      "lifter:behavioral_ransom_note": [],
      "lifter:behavioral_exfil_over_web": [],
      "lifter:behavioral_db_mass_read": [],
      "lifter:behavioral_credentials_in_files": ["paths"],
      "lifter:behavioral_k8s_sa_token": ["paths"],
      "lifter:behavioral_docker_escape": [],
      "lifter:behavioral_llmnr_poisoning": [],
      "lifter:behavioral_tftp_router_config": ["filename_patterns"],
    });
  });

  it("applies upstream's code defaults and keeps unknown keys", () => {
    const parse = (kind: string, v: Record<string, unknown>) => behavioralSpecs.find((s) => s.kind === kind)?.params.parse(v);
    expect(parse("lifter:behavioral_beaconing", {})).toEqual({ min_interval_s: 0, max_jitter_pct: 1.0 });
    expect(parse("lifter:behavioral_data_destruction", {})).toEqual({ patterns: [] });
    expect(parse("lifter:behavioral_ransom_note", {})).toEqual({ payment_keywords: [], require_btc_or_xmr: false });
    expect(parse("lifter:behavioral_exfil_over_web", {})).toEqual({ min_payload_bytes: 0, request_threshold: 0 });
    expect(parse("lifter:behavioral_db_mass_read", {})).toEqual({ min_rows: 0, min_bytes: 0 });
    expect(parse("lifter:behavioral_credentials_in_files", {})).toEqual({ paths: [] });
    expect(parse("lifter:behavioral_k8s_sa_token", {})).toEqual({ paths: [] });
    expect(parse("lifter:behavioral_docker_escape", {})).toEqual({ signals: [] });
    expect(parse("lifter:behavioral_llmnr_poisoning", { extra: 1 })).toEqual({ extra: 1 });
    expect(parse("lifter:behavioral_tftp_router_config", {})).toEqual({ filename_patterns: [] });
  });

  it("refuses ill-typed parameters", () => {
    const spec = (kind: string) => behavioralSpecs.find((s) => s.kind === kind)!;
    expect(spec("lifter:behavioral_beaconing").params.safeParse({ min_interval_s: "10" }).success).toBe(false);
    expect(spec("lifter:behavioral_beaconing").params.safeParse({ min_interval_s: 10.5 }).success).toBe(true);
    expect(spec("lifter:behavioral_exfil_over_web").params.safeParse({ min_payload_bytes: 0.5 }).success).toBe(true);
    expect(spec("lifter:behavioral_exfil_over_web").params.safeParse({ request_threshold: 50.5 }).success).toBe(false);
    expect(spec("lifter:behavioral_db_mass_read").params.safeParse({ min_rows: 1.5 }).success).toBe(false);
    expect(spec("lifter:behavioral_db_mass_read").params.safeParse({ min_bytes: 1.5 }).success).toBe(false);
    expect(spec("lifter:behavioral_data_destruction").params.safeParse({ patterns: [1] }).success).toBe(false);
    expect(spec("lifter:behavioral_ransom_note").params.safeParse({ payment_keywords: "btc" }).success).toBe(false);
    expect(spec("lifter:behavioral_ransom_note").params.safeParse({ require_btc_or_xmr: 1 }).success).toBe(false);
    expect(spec("lifter:behavioral_docker_escape").params.safeParse({ signals: null }).success).toBe(false);
  });
});

describe("lifter:behavioral_beaconing (R0031)", () => {
  const r = rule("lifter:behavioral_beaconing", { min_interval_s: 10, max_jitter_pct: 0.15 }, ["beacon_interval_s", "beacon_jitter_pct"]);

  it("fires with both bounds inclusive", () => {
    expect(evidenceOf(r({ beacon_interval_s: 60, beacon_jitter_pct: 0.05 }))).toEqual({ beacon_interval_s: 60, beacon_jitter_pct: 0.05 });
    expect(fires(r({ beacon_interval_s: 10, beacon_jitter_pct: 0.15 }))).toBe(true);
    expect(r({ beacon_interval_s: 9.999, beacon_jitter_pct: 0.1 })).toBeNull();
    expect(r({ beacon_interval_s: 60, beacon_jitter_pct: 0.1500001 })).toBeNull();
  });

  it("uses the code defaults 0 and 1.0", () => {
    const d = rule("lifter:behavioral_beaconing");
    expect(fires(d({ beacon_interval_s: 0, beacon_jitter_pct: 1.0 }))).toBe(true);
    expect(d({ beacon_interval_s: -1, beacon_jitter_pct: 0 })).toBeNull();
    expect(d({ beacon_interval_s: 5, beacon_jitter_pct: 1.01 })).toBeNull();
  });

  it("skips ill-typed values and ignores missing ones", () => {
    expect(r({ beacon_interval_s: "60", beacon_jitter_pct: 0.05 })).toBe(SKIP);
    expect(r({ beacon_interval_s: 60, beacon_jitter_pct: true })).toBe(SKIP); // booleans are not numbers here
    expect(r({ beacon_interval_s: [60], beacon_jitter_pct: 0.05 })).toBe(SKIP);
    expect(r({ beacon_jitter_pct: "x" })).toBe(SKIP);
    expect(r({ beacon_interval_s: 60 })).toBeNull();
    expect(r({ beacon_interval_s: 60, beacon_jitter_pct: null })).toBeNull();
    expect(r({})).toBeNull();
  });

  it("copies only the rule's evidence fields present in the payload", () => {
    const only = rule("lifter:behavioral_beaconing", {}, ["beacon_interval_s", "session_id"]);
    expect(evidenceOf(only({ beacon_interval_s: 60, beacon_jitter_pct: 0.05, other: 1 }))).toEqual({ beacon_interval_s: 60 });
  });
});

const DESTRUCTION = ["FLUSHALL", "DROP\\s+DATABASE", "TRUNCATE\\s+TABLE", "dropDatabase\\(\\)", "DELETE\\s+/\\_all"];

describe("lifter:behavioral_data_destruction (R0032)", () => {
  const r = rule("lifter:behavioral_data_destruction", { patterns: DESTRUCTION }, ["target", "matched_op"]);

  it("reports the source of the first pattern in list order", () => {
    expect(evidenceOf(r({ op_text: "FLUSHALL" }))).toEqual({ matched_op: "FLUSHALL" });
    expect(evidenceOf(r({ op_text: "DROP   DATABASE prod" }))).toEqual({ matched_op: "DROP\\s+DATABASE" });
    expect(evidenceOf(r({ op_text: "DROP\tDATABASE prod" }))).toEqual({ matched_op: "DROP\\s+DATABASE" });
    expect(evidenceOf(r({ op_text: "TRUNCATE TABLE t; FLUSHALL" }))).toEqual({ matched_op: "FLUSHALL" });
    expect(evidenceOf(r({ op_text: "db.dropDatabase()" }))).toEqual({ matched_op: "dropDatabase\\(\\)" });
    expect(evidenceOf(r({ command_text: "curl -XDELETE localhost:9200 DELETE /_all" }))).toEqual({ matched_op: "DELETE\\s+/\\_all" });
  });

  it("is case-sensitive", () => {
    expect(r({ op_text: "flushall" })).toBeNull();
    expect(r({ op_text: "drop database x" })).toBeNull();
    expect(r({ op_text: "DROPDATABASE" })).toBeNull();
  });

  it("falls back from a falsy op_text to command_text", () => {
    expect(fires(r({ op_text: "", command_text: "FLUSHALL" }))).toBe(true);
    expect(fires(r({ op_text: 0, command_text: "FLUSHALL" }))).toBe(true);
    expect(fires(r({ op_text: null, command_text: "FLUSHALL" }))).toBe(true);
    expect(r({ op_text: "GET k", command_text: "FLUSHALL" })).toBeNull();
    expect(r({})).toBeNull();
    expect(r({ op_text: "", command_text: "" })).toBeNull();
  });

  it("skips a truthy non-string haystack", () => {
    expect(r({ op_text: 5, command_text: "FLUSHALL" })).toBe(SKIP);
    expect(r({ command_text: ["FLUSHALL"] })).toBe(SKIP);
    expect(r({ op_text: { a: 1 } })).toBe(SKIP);
    expect(r({ op_text: true })).toBe(SKIP);
  });

  it("copies target and overwrites a copied matched_op", () => {
    expect(evidenceOf(r({ op_text: "FLUSHALL", target: "redis:6379", matched_op: "forged" }))).toEqual({
      target: "redis:6379",
      matched_op: "FLUSHALL",
    });
  });

  it("never fires with the default empty pattern list", () => {
    expect(rule("lifter:behavioral_data_destruction")({ op_text: "FLUSHALL" })).toBeNull();
  });
});

const BTC = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
const BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
const XMR = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A";
const KEYWORDS = ["bitcoin", "btc", "monero", "ransom", "decrypt"];

describe("BTC/XMR address search (§3.6)", () => {
  it("rules texts out by their longest ASCII word run as a regex would (the ransom note's pre-check)", () => {
    // Seeded texts of words, separators and non-ASCII letters, every length and run limit near the probes.
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const units = ["a", "Z", "9", "_", " ", "-", "é", "\u0661", ".", "bc1", "x".repeat(13), "y".repeat(14)];
    for (let k = 0; k < 3000; k++) {
      let text = "";
      for (let n = rnd(40); n > 0; n--) text += units[rnd(units.length)];
      for (const min of [1, 2, 5, 13, 14, 15]) {
        expect(hasAsciiWordRun(text, min), `${JSON.stringify(text)} min ${min}`).toBe(new RegExp(`[A-Za-z0-9_]{${min}}`).test(text));
      }
    }
    expect(hasAsciiWordRun(`send 0.5 BTC to ${BTC} now`, 14)).toBe(true);
    expect(hasAsciiWordRun("pay the ransom to decrypt your files", 14)).toBe(false);
  });

  it("finds addresses delimited by Python-Unicode word boundaries", () => {
    expect(findCryptoAddress(`send 0.5 BTC to ${BTC} to decrypt`)).toBe(BTC);
    expect(findCryptoAddress(`(${BTC}).`)).toBe(BTC);
    expect(findCryptoAddress(BTC)).toBe(BTC);
    expect(findCryptoAddress(`pay:${BECH32}!`)).toBe(BECH32);
    expect(findCryptoAddress(`é${BTC}`)).toBeNull(); // (checked) é is a word character
    expect(findCryptoAddress(`${BTC}é`)).toBeNull();
    expect(findCryptoAddress(`${BTC}_`)).toBeNull();
    expect(findCryptoAddress(`x${BTC}`)).toBeNull();
    expect(findCryptoAddress(`${BTC}\u0661`)).toBeNull(); // Arabic-Indic digit one: a word character
    expect(findCryptoAddress(`${BTC}\u0301`)).toBe(BTC); // a combining mark is not a word character
    expect(findCryptoAddress(`${BTC}-x`)).toBe(BTC);
  });

  it("checks the address shape", () => {
    const body = "A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"; // 33 base58 characters
    expect(findCryptoAddress("1" + body.slice(0, 25))).toBe("1" + body.slice(0, 25)); // 26: shortest
    expect(findCryptoAddress("1" + body.slice(0, 24))).toBeNull();
    expect(findCryptoAddress("3" + body + "x")).toBe("3" + body + "x"); // 35: longest
    expect(findCryptoAddress("3" + body + "xy")).toBeNull();
    expect(findCryptoAddress("2" + body)).toBeNull();
    expect(findCryptoAddress("1" + body.slice(0, 30) + "0")).toBeNull(); // 0, O, I, l are not base58
    expect(findCryptoAddress("1" + body.slice(0, 30) + "O")).toBeNull();
    expect(findCryptoAddress("1" + body.slice(0, 30) + "l")).toBeNull();
    expect(findCryptoAddress(BECH32.toUpperCase())).toBeNull(); // bech32 must be lowercase
    expect(findCryptoAddress("bc1" + "q".repeat(11))).toBe("bc1" + "q".repeat(11));
    expect(findCryptoAddress("bc1" + "q".repeat(10))).toBeNull();
    expect(findCryptoAddress("bc1" + "q".repeat(71))).toBe("bc1" + "q".repeat(71));
    expect(findCryptoAddress("bc1" + "q".repeat(72))).toBeNull();
    expect(findCryptoAddress("bc1" + "b".repeat(20))).toBeNull();
    expect(findCryptoAddress(XMR)).toBe(XMR);
    expect(findCryptoAddress(XMR + "A")).toBeNull();
    expect(findCryptoAddress("4C" + XMR.slice(2))).toBeNull();
  });

  it("prefers the first BTC address, else the first XMR address", () => {
    expect(findCryptoAddress(`${XMR} then ${BTC}`)).toBe(BTC);
    expect(findCryptoAddress(`${BECH32} ${BTC}`)).toBe(BECH32);
    expect(findCryptoAddress(`${XMR} 4A${XMR.slice(2)}`)).toBe(XMR);
    expect(findCryptoAddress("no address here")).toBeNull();
    expect(findCryptoAddress("")).toBeNull();
  });

  it("completes on 64 KiB adversarial texts (correctness only)", () => {
    const words = "a".repeat(65536);
    expect(findCryptoAddress(words)).toBeNull();
    expect(findCryptoAddress("1" + "A".repeat(65535))).toBeNull();
    const alternating = (BTC.slice(0, 30) + "é").repeat(Math.ceil(65536 / 31)).slice(0, 65536);
    expect(findCryptoAddress(alternating)).toBeNull();
    expect(findCryptoAddress("1a ".repeat(21845) + BTC)).toBe(BTC);
    const r = rule("lifter:behavioral_ransom_note", { payment_keywords: KEYWORDS, require_btc_or_xmr: true });
    expect(r({ body_text: "ransom " + words })).toBeNull();
    expect(evidenceOf(r({ body_text: "ransom " + "1a ".repeat(21845) + XMR }))).toEqual({ matched_keywords: ["ransom"], btc_address: XMR });
  });
});

describe("lifter:behavioral_ransom_note (R0033)", () => {
  const r = rule("lifter:behavioral_ransom_note", { payment_keywords: KEYWORDS, require_btc_or_xmr: true }, [
    "btc_address",
    "matched_keywords",
    "note_id",
  ]);

  it("fires on the seed row with every keyword hit, in spec order", () => {
    const text = `send 0.5 BTC to ${BTC} to decrypt your files`;
    expect(evidenceOf(r({ body_text: text }))).toEqual({ btc_address: BTC, matched_keywords: ["btc", "decrypt"] });
    expect(evidenceOf(r({ note_text: `DECRYPTION needs Monero: ${XMR}` }))).toEqual({ btc_address: XMR, matched_keywords: ["monero", "decrypt"] });
  });

  it("needs a keyword, and an address when the flag is set", () => {
    expect(r({ body_text: `pay ${BTC}` })).toBeNull();
    expect(r({ body_text: "pay the ransom in bitcoin" })).toBeNull();
    expect(r({ body_text: `pay the ransom to é${BTC}` })).toBeNull();
    const noFlag = rule("lifter:behavioral_ransom_note", { payment_keywords: KEYWORDS }, ["btc_address"]);
    expect(evidenceOf(noFlag({ body_text: "pay the ransom in bitcoin", btc_address: "x" }))).toEqual({
      btc_address: "x",
      matched_keywords: ["bitcoin", "ransom"],
    });
  });

  it("matches keywords case-insensitively and reports the spec's spelling", () => {
    const r2 = rule("lifter:behavioral_ransom_note", { payment_keywords: ["BTC", "Ransom"] });
    expect(evidenceOf(r2({ body_text: "send btc, this is a RANSOM" }))).toEqual({ matched_keywords: ["BTC", "Ransom"] });
  });

  it("never fires with the default empty keyword list", () => {
    expect(rule("lifter:behavioral_ransom_note")({ body_text: `ransom ${BTC}` })).toBeNull();
  });

  it("falls back from a falsy body_text to note_text", () => {
    expect(fires(r({ body_text: "", note_text: `ransom ${BTC}` }))).toBe(true);
    expect(fires(r({ body_text: 0, note_text: `ransom ${BTC}` }))).toBe(true);
    expect(r({ body_text: "hello", note_text: `ransom ${BTC}` })).toBeNull();
    expect(r({ body_text: "", note_text: "" })).toBeNull();
    expect(r({ note_text: [] })).toBeNull();
    expect(r({})).toBeNull();
  });

  it("skips a truthy non-string text", () => {
    expect(r({ body_text: 5, note_text: `ransom ${BTC}` })).toBe(SKIP);
    expect(r({ note_text: ["ransom"] })).toBe(SKIP);
    expect(r({ body_text: { ransom: BTC } })).toBe(SKIP);
  });

  it("overwrites copied keys and keeps other copied fields", () => {
    expect(evidenceOf(r({ body_text: `ransom ${BTC}`, matched_keywords: "forged", btc_address: null, note_id: 7 }))).toEqual({
      btc_address: BTC,
      matched_keywords: ["ransom"],
      note_id: 7,
    });
  });

  it("fires on an email-shaped payload too (upstream's TypeError is not reproduced)", () => {
    expect(evidenceOf(r({ body_text: `decrypt: ${BTC}`, subject: "hi", rcpt_count: 1 }))).toEqual({
      btc_address: BTC,
      matched_keywords: ["decrypt"],
    });
  });
});

describe("lifter:behavioral_exfil_over_web (R0034)", () => {
  const r = rule("lifter:behavioral_exfil_over_web", { min_payload_bytes: 1048576, request_threshold: 50 }, [
    "bytes_out",
    "request_count",
    "target_host",
  ]);

  it("fires on either lane, inclusively", () => {
    expect(evidenceOf(r({ bytes_out: 1048576, target_host: "x.example" }))).toEqual({ bytes_out: 1048576, target_host: "x.example" });
    expect(r({ bytes_out: 1048575.5 })).toBeNull();
    expect(evidenceOf(r({ request_count: 50 }))).toEqual({ request_count: 50 });
    expect(r({ request_count: 49 })).toBeNull();
    expect(r({ bytes_out: 10, request_count: 10 })).toBeNull();
    expect(fires(r({ bytes_out: 10, request_count: 50 }))).toBe(true);
  });

  it("fires on one lane even when the other is ill-typed", () => {
    expect(fires(r({ bytes_out: "huge", request_count: 50 }))).toBe(true);
    expect(fires(r({ bytes_out: 2e6, request_count: "many" }))).toBe(true);
  });

  it("skips ill-typed values that leave no lane firing", () => {
    expect(r({ bytes_out: "2000000" })).toBe(SKIP);
    expect(r({ request_count: 50.5 })).toBe(SKIP); // not an int
    expect(r({ request_count: true })).toBe(SKIP); // booleans are not ints here
    expect(r({ bytes_out: 10, request_count: "60" })).toBe(SKIP);
    expect(r({ bytes_out: null, request_count: null })).toBeNull();
    expect(r({})).toBeNull();
  });

  it("uses the code defaults 0 and 0", () => {
    const d = rule("lifter:behavioral_exfil_over_web");
    expect(fires(d({ bytes_out: 0 }))).toBe(true);
    expect(fires(d({ request_count: 0 }))).toBe(true);
    expect(d({ bytes_out: -1, request_count: -1 })).toBeNull();
    expect(d({})).toBeNull();
  });
});

describe("lifter:behavioral_db_mass_read (R0035)", () => {
  const r = rule("lifter:behavioral_db_mass_read", { min_rows: 10000, min_bytes: 5242880 }, ["service", "rows_read", "bytes_read"]);

  it("fires on either lane, inclusively", () => {
    expect(evidenceOf(r({ rows_read: 10000, service: "mysql" }))).toEqual({ rows_read: 10000, service: "mysql" });
    expect(r({ rows_read: 9999 })).toBeNull();
    expect(evidenceOf(r({ bytes_read: 5242880 }))).toEqual({ bytes_read: 5242880 });
    expect(r({ bytes_read: 5242879.9 })).toBeNull();
    expect(fires(r({ rows_read: 1, bytes_read: 6e6 }))).toBe(true);
    expect(fires(r({ rows_read: "x", bytes_read: 6e6 }))).toBe(true);
  });

  it("skips ill-typed values that leave no lane firing", () => {
    expect(r({ rows_read: 10000.5 })).toBe(SKIP);
    expect(r({ rows_read: "10000" })).toBe(SKIP);
    expect(r({ rows_read: 1, bytes_read: false })).toBe(SKIP);
    expect(r({ rows_read: 1 })).toBeNull();
    expect(r({})).toBeNull();
  });

  it("uses the code defaults 0 and 0", () => {
    const d = rule("lifter:behavioral_db_mass_read");
    expect(fires(d({ rows_read: 0 }))).toBe(true);
    expect(fires(d({ bytes_read: 0.5 }))).toBe(true);
    expect(d({ rows_read: -1 })).toBeNull();
  });
});

const CRED_PATHS = ["\\.env", "\\.git/config", "\\.aws/credentials", "\\.ssh/id_rsa", "wp-config\\.php"];

describe("lifter:behavioral_credentials_in_files (R0036)", () => {
  const r = rule("lifter:behavioral_credentials_in_files", { paths: CRED_PATHS }, ["request_path", "matched_path"]);

  it("reports the whole path that matched", () => {
    expect(evidenceOf(r({ request_path: "/var/www/html/.env" }))).toEqual({
      request_path: "/var/www/html/.env",
      matched_path: "/var/www/html/.env",
    });
    expect(evidenceOf(r({ path: "/home/u/.ssh/id_rsa.pub" }))).toEqual({ matched_path: "/home/u/.ssh/id_rsa.pub" });
    for (const p of ["/app/.envrc", "/.environment", "/x.env.bak", "/repo/.git/config", "/blog/wp-config.php"]) {
      expect(fires(r({ path: p })), p).toBe(true);
    }
    expect(r({ path: "/app/env" })).toBeNull();
    expect(r({ path: "/blog/wp-configXphp" })).toBeNull();
    expect(r({ path: "/APP/.ENV" })).toBeNull();
  });

  it("falls back matched_path → request_path → path on falsy values", () => {
    expect(evidenceOf(r({ matched_path: 0, request_path: "/.env" }))).toEqual({ request_path: "/.env", matched_path: "/.env" });
    expect(evidenceOf(r({ matched_path: "", request_path: "", path: "/.aws/credentials" }))).toEqual({
      request_path: "",
      matched_path: "/.aws/credentials",
    });
    expect(r({ matched_path: "/index.html", request_path: "/.env" })).toBeNull();
    expect(r({ matched_path: "", request_path: "" })).toBeNull();
    expect(r({})).toBeNull();
  });

  it("skips a truthy non-string path", () => {
    expect(r({ matched_path: 1, request_path: "/.env" })).toBe(SKIP);
    expect(r({ request_path: ["/.env"] })).toBe(SKIP);
    expect(r({ path: { p: "/.env" } })).toBe(SKIP);
  });

  it("never fires with the default empty list", () => {
    expect(rule("lifter:behavioral_credentials_in_files")({ path: "/.env" })).toBeNull();
  });
});

describe("lifter:behavioral_k8s_sa_token (R0037)", () => {
  const r = rule(
    "lifter:behavioral_k8s_sa_token",
    { paths: ["/api/v1/namespaces/[^/]+/secrets", "/var/run/secrets/kubernetes\\.io/serviceaccount"] },
    ["namespace"],
  );

  it("fires on secret and service-account paths", () => {
    expect(evidenceOf(r({ request_path: "/api/v1/namespaces/default/secrets" }))).toEqual({
      matched_path: "/api/v1/namespaces/default/secrets",
    });
    expect(evidenceOf(r({ path: "/var/run/secrets/kubernetes.io/serviceaccount/token", namespace: "kube-system" }))).toEqual({
      matched_path: "/var/run/secrets/kubernetes.io/serviceaccount/token",
      namespace: "kube-system",
    });
    expect(r({ request_path: "/api/v1/namespaces//secrets" })).toBeNull();
    expect(r({ path: "/var/run/secrets/kubernetesXio/serviceaccount" })).toBeNull();
    expect(r({ request_path: "/api/v1/namespaces/default/pods" })).toBeNull();
  });

  it("shares the path fallback and type checks", () => {
    expect(fires(r({ matched_path: "", request_path: "/api/v1/namespaces/a/secrets" }))).toBe(true);
    expect(r({ matched_path: 7 })).toBe(SKIP);
    expect(r({})).toBeNull();
  });

  it("completes on a 64 KiB path (correctness only)", () => {
    expect(r({ path: "/api/v1/namespaces/" + "a".repeat(65536) })).toBeNull();
    expect(r({ path: "/api/v1/namespaces/" + "a/".repeat(32768) + "secrets" })).toBeNull(); // [^/]+ is one segment
    expect(fires(r({ path: "/api/v1/namespaces/".repeat(3449) + "default/secrets" }))).toBe(true);
  });
});

describe("lifter:behavioral_docker_escape (R0038)", () => {
  const SIGNALS = ["privileged:true", "bind:/:/", "bind:/etc", "bind:/var/run/docker.sock"];
  const r = rule("lifter:behavioral_docker_escape", { signals: SIGNALS }, ["container_image"]);

  it("matches signals exactly and reports the first in spec order", () => {
    expect(evidenceOf(r({ signals: ["privileged:true"], container_image: "alpine" }))).toEqual({
      matched_signal: "privileged:true",
      container_image: "alpine",
    });
    expect(evidenceOf(r({ signals: ["bind:/etc", "privileged:true"] }))).toEqual({ matched_signal: "privileged:true" });
    expect(evidenceOf(r({ signals: ["bind:/etc"] }))).toEqual({ matched_signal: "bind:/etc" });
    expect(r({ signals: ["bind:/etc/passwd:/x"] })).toBeNull(); // (checked) no prefix match
    expect(r({ signals: ["BIND:/etc"] })).toBeNull();
    expect(r({ signals: [] })).toBeNull();
  });

  it("ignores non-string elements", () => {
    expect(evidenceOf(r({ signals: [1, null, { a: 1 }, "bind:/:/"] }))).toEqual({ matched_signal: "bind:/:/" });
    expect(r({ signals: [true, 0] })).toBeNull();
  });

  it("skips a non-list signals field", () => {
    expect(r({ signals: "privileged:true" })).toBe(SKIP);
    expect(r({ signals: { 0: "privileged:true" } })).toBe(SKIP);
    expect(r({ signals: null })).toBeNull();
    expect(r({})).toBeNull();
  });

  it("never fires with the default empty list", () => {
    expect(rule("lifter:behavioral_docker_escape")({ signals: ["privileged:true"] })).toBeNull();
  });
});

describe("lifter:behavioral_llmnr_poisoning (R0039)", () => {
  const r = rule("lifter:behavioral_llmnr_poisoning", {}, ["poisoned_query", "victim_host"]);

  it("fires on the flag or a count of at least 1", () => {
    expect(evidenceOf(r({ llmnr_poisoned: true, poisoned_query: "wpad", victim_host: "10.0.0.5" }))).toEqual({
      poisoned_query: "wpad",
      victim_host: "10.0.0.5",
    });
    expect(evidenceOf(r({ llmnr_poison_count: 1 }))).toEqual({});
    expect(fires(r({ llmnr_poisoned: false, llmnr_poison_count: 3 }))).toBe(true);
    expect(fires(r({ llmnr_poisoned: true, llmnr_poison_count: "x" }))).toBe(true);
    expect(r({ llmnr_poison_count: 0 })).toBeNull();
    expect(r({ llmnr_poisoned: false })).toBeNull();
    expect(r({ llmnr_poisoned: false, llmnr_poison_count: 0 })).toBeNull();
    expect(r({})).toBeNull();
  });

  it("requires the boolean itself and an integer count", () => {
    expect(r({ llmnr_poisoned: "true" })).toBe(SKIP);
    expect(r({ llmnr_poisoned: 1 })).toBe(SKIP);
    expect(r({ llmnr_poison_count: 1.5 })).toBe(SKIP);
    expect(r({ llmnr_poison_count: true })).toBe(SKIP); // booleans are not ints here
    expect(r({ llmnr_poison_count: "2" })).toBe(SKIP);
    expect(r({ llmnr_poisoned: null, llmnr_poison_count: null })).toBeNull();
  });
});

describe("lifter:behavioral_tftp_router_config (R0040)", () => {
  const r = rule(
    "lifter:behavioral_tftp_router_config",
    { filename_patterns: [".*-confg$", ".*\\.cfg$", "startup-config", "running-config"] },
    ["tftp_filename", "source_host"],
  );

  it("fires on router configuration names", () => {
    expect(evidenceOf(r({ tftp_filename: "r1-confg", source_host: "10.0.0.1", other: 1 }))).toEqual({
      tftp_filename: "r1-confg",
      source_host: "10.0.0.1",
    });
    expect(fires(r({ tftp_filename: "r1-confg\n" }))).toBe(true); // (checked) Python $ before a final newline
    expect(fires(r({ tftp_filename: "router.cfg" }))).toBe(true);
    expect(fires(r({ tftp_filename: "backup/startup-config.old" }))).toBe(true);
    expect(fires(r({ tftp_filename: "running-config" }))).toBe(true);
    expect(r({ tftp_filename: "r1-confg.bak" })).toBeNull();
    expect(r({ tftp_filename: "r1-confg\n\n" })).toBeNull();
    expect(r({ tftp_filename: "routerXcfg" })).toBeNull();
    expect(r({ tftp_filename: "Running-Config" })).toBeNull();
  });

  it("needs a non-empty string", () => {
    expect(r({ tftp_filename: "" })).toBeNull();
    expect(r({ tftp_filename: null })).toBeNull();
    expect(r({})).toBeNull();
    expect(r({ tftp_filename: 5 })).toBe(SKIP);
    expect(r({ tftp_filename: ["running-config"] })).toBe(SKIP);
  });

  it("never fires with the default empty list", () => {
    expect(rule("lifter:behavioral_tftp_router_config")({ tftp_filename: "running-config" })).toBeNull();
  });
});

describe("all behavioral kinds", () => {
  it("read own properties only and never throw on odd payloads", () => {
    const inherited = Object.create({ op_text: "FLUSHALL", llmnr_poisoned: true, tftp_filename: "running-config" }) as Payload;
    const odd: Payload[] = [
      {},
      inherited,
      JSON.parse('{"__proto__": {"llmnr_poisoned": true}, "constructor": 1}') as Payload,
      { op_text: "\ud800", body_text: "\udfff ransom", path: "\u0000", signals: [[], {}], tftp_filename: "\ud83d" },
    ];
    for (const spec of behavioralSpecs) {
      const r = rule(spec.kind, {}, ["constructor"]);
      for (const p of odd) expect(() => r(p)).not.toThrow();
    }
    expect(rule("lifter:behavioral_llmnr_poisoning")(inherited)).toBeNull();
    expect(rule("lifter:behavioral_data_destruction", { patterns: ["FLUSHALL"] })(inherited)).toBeNull();
  });

  it("completes pattern searches on 64 KiB texts (correctness only)", () => {
    const r = rule("lifter:behavioral_data_destruction", { patterns: DESTRUCTION });
    expect(r({ op_text: "DROP ".repeat(13108) })).toBeNull();
    expect(r({ op_text: "a".repeat(65536) })).toBeNull();
    expect(fires(r({ op_text: "DROP ".repeat(13107) + "DATABASE" }))).toBe(true);
  });
});
