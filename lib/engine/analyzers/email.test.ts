import { describe, expect, it, vi } from "vitest";
import { emailSpecs } from "../../rules/analyzers/email";
import { base64RunBytes, dom, emailAnalyzers, urlHost } from "./email";
import { SKIP, type AnalyzerContext, type AnalyzerOutcome, type Fire } from "./types";

const CLICK_HERE_SHA = "62dca007a0990ba139aaf818370eaa8156dd31166a3d10c0bbdd4b7afd825250";

function ctxWith(disk: string | null = null) {
  const emailBodyFromDisk = vi.fn(() => disk);
  const ctx: AnalyzerContext = { copied: () => ({ must_not: "appear" }), emailBodyFromDisk, perEvent: <T,>(_key: object, make: () => T): T => make() };
  return { ctx, emailBodyFromDisk };
}

/** Evaluates `kind` with params built through the kind's zod schema. */
function run(kind: string, params: Record<string, unknown>, payload: Record<string, unknown>, disk: string | null = null): AnalyzerOutcome {
  const spec = emailSpecs.find((s) => s.kind === `lifter:email_${kind}`);
  const analyzer = emailAnalyzers.find((a) => a.kind === `lifter:email_${kind}`);
  if (!spec || !analyzer) throw new Error(`no ${kind}`);
  const config = analyzer.prepare(spec.params.parse(params));
  return analyzer.evaluate(config, payload, ctxWith(disk).ctx);
}

function evidence(outcome: AnalyzerOutcome): Record<string, unknown> {
  if (outcome === null || outcome === SKIP || !("evidence" in outcome)) throw new Error(`expected a fire, got ${String(outcome)}`);
  return (outcome as Fire).evidence;
}

const BASE = { body_sha256: "", matched_headers: [], rcpt_domain_set: [], attachment_sha256s: [], rcpt_count: 0 };

const BEC = { subject_keywords: ["urgent", "wire", "invoice", "payroll", "gift card"], body_action_keywords: ["send", "transfer", "update banking", "confidential"] };
const ALL_SIGNALS = { signals: ["from_returnpath_mismatch", "from_mailfrom_mismatch", "dkim_fail", "spf_fail"] };
const ALL_TRIGGERS = { triggers: ["office_macro", "lnk", "iso", "img", "protected_archive", "html_smuggling", "mal_hash_match"] };

function base64Of(bytes: number): string {
  return Buffer.alloc(bytes, 0xab).toString("base64");
}

describe("email specs", () => {
  it("declares the 8 kinds with code defaults for absent keys", () => {
    expect(emailSpecs.map((s) => s.kind)).toEqual(emailAnalyzers.map((a) => a.kind));
    expect(emailSpecs).toHaveLength(8);
    const byKind = (k: string) => emailSpecs.find((s) => s.kind === `lifter:email_${k}`)!.params.parse({});
    expect(byKind("open_relay")).toEqual({ rcpt_threshold: 10, require_foreign_from: false });
    expect(byKind("mass_phish")).toEqual({ rcpt_threshold: 25 });
    expect(byKind("idn_url")).toEqual({ punycode_prefix: "xn--" });
    expect(byKind("sender_masquerade")).toEqual({ signals: [] });
    expect(byKind("malicious_attachment")).toEqual({ triggers: [] });
    expect(byKind("bec")).toEqual({ subject_keywords: [], body_action_keywords: [] });
    expect(byKind("encoded_payload")).toEqual({ min_bytes: 4096 });
    for (const s of emailSpecs) {
      expect(s.family).toBe("email");
      expect(s.patternParams).toEqual([]);
    }
  });

  it("refuses ill-typed parameters and keeps unknown ones", () => {
    const relay = emailSpecs.find((s) => s.kind === "lifter:email_open_relay")!;
    expect(relay.params.safeParse({ rcpt_threshold: 2.5 }).success).toBe(false);
    expect(relay.params.safeParse({ rcpt_threshold: "10" }).success).toBe(false);
    expect(relay.params.parse({ extra: 1 })).toMatchObject({ extra: 1 });
  });
});

describe("dom, host, base64 helpers", () => {
  it("normalises domains as upstream's _domain", () => {
    expect(dom("CEO@Victim.Example")).toBe("victim.example");
    expect(dom("  Victim.Example\t")).toBe("victim.example");
    expect(dom("a@b@C")).toBe("b@c");
    expect(dom("user@")).toBe("");
    expect(dom("   ")).toBe("");
    expect(dom("")).toBeNull();
    expect(dom(5)).toBeNull();
    expect(dom(null)).toBeNull();
  });

  it("extracts the host as HOST_RE does", () => {
    expect(urlHost("https://user:pw@XN--80AK6AA92E.com:8443?x=1")).toBe("user:pw@xn--80ak6aa92e.com:8443?x=1");
    expect(urlHost("http://Ok.com/?q=xn--abc")).toBe("ok.com");
    expect(urlHost("HTTPS://xn--b.com/")).toBe("");
    expect(urlHost("ftp://xn--b.com/")).toBe("");
  });

  it("accepts base64 runs by the decoded-length and padding rules", () => {
    const a32 = "A".repeat(32);
    expect(base64RunBytes(a32, 1)).toBe(24);
    expect(base64RunBytes(a32 + "==", 1)).toBe(24); // n%4 = 0: padding ignored
    expect(base64RunBytes("A".repeat(34) + "==", 1)).toBe(25);
    expect(base64RunBytes("A".repeat(34) + "=", 1)).toBe(-1); // n%4 = 2 needs 2
    expect(base64RunBytes("A".repeat(34), 1)).toBe(-1);
    expect(base64RunBytes("A".repeat(35) + "=", 1)).toBe(26);
    expect(base64RunBytes("A".repeat(35) + "==", 1)).toBe(-1); // excess data
    expect(base64RunBytes("A".repeat(33), 1)).toBe(-1); // n%4 = 1 never
    expect(base64RunBytes("A".repeat(31), 1)).toBe(-1); // under 32 characters
    // A rejected run is skipped entirely; a later accepted one fires.
    expect(base64RunBytes(`${"A".repeat(33)} ${"B".repeat(40)}`, 30)).toBe(30);
    // The first accepted run over the threshold wins; smaller accepted runs do not stop the scan.
    expect(base64RunBytes(`${a32}\n${"C".repeat(64)}`, 40)).toBe(48);
  });

  it("finds the same run as a left-to-right regex search, on seeded texts", () => {
    // The reference: every match of the spec's expression in order, decoded by the padding rules above.
    const reference = (text: string, minBytes: number): number => {
      for (const m of text.matchAll(/([A-Za-z0-9+/]{32,})(={0,2})/g)) {
        const n = (m[1] as string).length;
        const p = (m[2] as string).length;
        const r = n % 4;
        const decoded = r === 0 ? (3 * n) / 4 : r === 2 && p === 2 ? (3 * (n - 2)) / 4 + 1 : r === 3 && p === 1 ? (3 * (n - 3)) / 4 + 2 : -1;
        if (decoded >= 0 && decoded >= minBytes) return decoded;
      }
      return -1;
    };
    let seed = 11;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const units = ["A", "z", "9", "+", "/", "=", " ", "-", "é", "word ", "B".repeat(29), "C".repeat(31), "D".repeat(33), "E".repeat(39), "F".repeat(41)];
    for (let k = 0; k < 3000; k++) {
      let text = "";
      for (let n = rnd(30); n > 0; n--) text += units[rnd(units.length)];
      for (const min of [1, 24, 25, 30]) expect(base64RunBytes(text, min), `${JSON.stringify(text)} min ${min}`).toBe(reference(text, min));
    }
  });

  it("scans a large non-base64 text in linear time", () => {
    const text = "A".repeat(31).concat("-").repeat(200_000);
    const t0 = performance.now();
    expect(base64RunBytes(text, 4096)).toBe(-1);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe("lifter:email_open_relay", () => {
  const p = { rcpt_threshold: 10, require_foreign_from: true };

  it("fires at the threshold with different From and MAIL FROM domains", () => {
    const ev = evidence(run("open_relay", p, { rcpt_count: 10, from_domain: "victim.example", mail_from_domain: "evil.example" }));
    expect(ev).toEqual({ ...BASE, rcpt_count: 10, matched_headers: ["From", "Mail-From"] });
    expect(run("open_relay", p, { rcpt_count: 9, from_domain: "victim.example", mail_from_domain: "evil.example" })).toBeNull();
  });

  it("compares dom() values: case and local part do not make a difference, a subdomain does", () => {
    expect(run("open_relay", p, { rcpt_count: 50, from_domain: "CEO@Victim.Example", mail_from_domain: "victim.example" })).toBeNull();
    expect(evidence(run("open_relay", p, { rcpt_count: 50, from: "a@mail.victim.example", mail_from: "b@victim.example" }))).toBeTruthy();
  });

  it("falls back to the raw From and MAIL FROM, and treats an empty domain as missing", () => {
    expect(evidence(run("open_relay", p, { rcpt_count: 50, from_domain: "", from: "x@a.example", mail_from: "y@b.example" }))).toBeTruthy();
    expect(run("open_relay", p, { rcpt_count: 50, from_domain: "x@", mail_from_domain: "evil.example" })).toBeNull();
    expect(run("open_relay", p, { rcpt_count: 50, from_domain: "a.example" })).toBeNull();
  });

  it("fires on the count alone without the flag", () => {
    expect(evidence(run("open_relay", { rcpt_threshold: 10 }, { rcpt_count: 10 }))).toMatchObject({ rcpt_count: 10 });
  });

  it("skips ill-typed fields and returns null for missing ones", () => {
    expect(run("open_relay", p, {})).toBeNull();
    expect(run("open_relay", p, { rcpt_count: "50" })).toBe(SKIP);
    expect(run("open_relay", p, { rcpt_count: true })).toBe(SKIP);
    expect(run("open_relay", p, { rcpt_count: 50.5 })).toBe(SKIP);
    expect(run("open_relay", p, { rcpt_count: 50, from_domain: 7, mail_from_domain: "evil.example" })).toBe(SKIP);
    // An integral float passes (JSON cannot tell 50 from 50.0).
    expect(evidence(run("open_relay", { rcpt_threshold: 10 }, { rcpt_count: 50.0 }))).toBeTruthy();
  });
});

describe("lifter:email_mass_phish", () => {
  const p = { rcpt_threshold: 25 };

  it("fires at the threshold with a body_simhash (str or int, even empty)", () => {
    const ev = evidence(run("mass_phish", p, { rcpt_count: 250, body_simhash: "abc", body_text: "Click here" }));
    expect(ev).toEqual({ ...BASE, rcpt_count: 250, body_sha256: CLICK_HERE_SHA });
    expect(ev.body_sha256).toMatch(/^62dca007.*5250$/);
    expect(evidence(run("mass_phish", p, { rcpt_count: 25, body_simhash: "" }))).toBeTruthy();
    expect(evidence(run("mass_phish", p, { rcpt_count: 25, body_simhash: 0 }))).toBeTruthy();
    expect(run("mass_phish", p, { rcpt_count: 24, body_simhash: "abc" })).toBeNull();
  });

  it("needs body_simhash present; booleans and floats are ill-typed", () => {
    expect(run("mass_phish", p, { rcpt_count: 250 })).toBeNull();
    expect(run("mass_phish", p, { rcpt_count: 250, body_simhash: null })).toBeNull();
    expect(run("mass_phish", p, { rcpt_count: 250, body_simhash: true })).toBe(SKIP);
    expect(run("mass_phish", p, { rcpt_count: 250, body_simhash: 1.5 })).toBe(SKIP);
    expect(run("mass_phish", p, { rcpt_count: [], body_simhash: "a" })).toBe(SKIP);
  });
});

describe("lifter:email_xmailer_kit", () => {
  it("fires on a non-empty X-Mailer with a matched kit or the match flag", () => {
    expect(evidence(run("xmailer_kit", {}, { x_mailer: "GoPhish", matched_kit: "gophish" }))).toEqual({
      ...BASE,
      matched_headers: ["X-Mailer"],
      matched_kit: "gophish",
    });
    expect(evidence(run("xmailer_kit", {}, { x_mailer: "x", xmailer_kit_match: true }))).toEqual({ ...BASE, matched_headers: ["X-Mailer"] });
  });

  it("does not fire without a mailer or a match", () => {
    expect(run("xmailer_kit", {}, { x_mailer: "", matched_kit: "gophish" })).toBeNull();
    expect(run("xmailer_kit", {}, { matched_kit: "gophish" })).toBeNull();
    expect(run("xmailer_kit", {}, { x_mailer: "x", matched_kit: "", xmailer_kit_match: false })).toBeNull();
  });

  it("skips ill-typed fields", () => {
    expect(run("xmailer_kit", {}, { x_mailer: 5, matched_kit: "k" })).toBe(SKIP);
    expect(run("xmailer_kit", {}, { x_mailer: "x", xmailer_kit_match: "true" })).toBe(SKIP);
    expect(run("xmailer_kit", {}, { x_mailer: "x", matched_kit: 3 })).toBe(SKIP);
  });
});

describe("lifter:email_idn_url", () => {
  const p = { punycode_prefix: "xn--" };

  it("fires on the first URL containing the prefix and reports its host only", () => {
    expect(evidence(run("idn_url", p, { urls: ["https://xn--80ak6aa92e.com/login"] }))).toEqual({
      ...BASE,
      matched_headers: ["body"],
      matched_url_host: "xn--80ak6aa92e.com",
    });
    expect(evidence(run("idn_url", p, { urls: [5, "https://ok.com/?q=xn--abc", "https://xn--b.com"] })).matched_url_host).toBe("ok.com");
    expect(evidence(run("idn_url", p, { urls: ["https://user:pw@XN--80AK6AA92E.com:8443?x=1&y=xn--"] })).matched_url_host).toBe(
      "user:pw@xn--80ak6aa92e.com:8443?x=1&y=xn--",
    );
    expect(evidence(run("idn_url", p, { urls: ["xn--b.com"] })).matched_url_host).toBe("");
  });

  it("is case-sensitive and does no IDNA", () => {
    expect(run("idn_url", p, { urls: ["https://XN--80AK6AA92E.com/"] })).toBeNull();
    expect(run("idn_url", p, { urls: ["https://пример.com"] })).toBeNull();
    expect(run("idn_url", { punycode_prefix: "" }, { urls: ["https://xn--b.com"] })).not.toBeNull();
  });

  it("skips a non-list urls", () => {
    expect(run("idn_url", p, { urls: "https://xn--b.com" })).toBe(SKIP);
    expect(run("idn_url", p, {})).toBeNull();
  });
});

describe("lifter:email_sender_masquerade", () => {
  it("reports the matched signals in fixed order with their headers sorted", () => {
    const ev = evidence(
      run("sender_masquerade", ALL_SIGNALS, {
        from_domain: "ceo@victim.example",
        return_path_domain: "evil.example",
        mail_from_domain: "evil.example",
        dkim_signed: false,
        spf_pass: false,
      }),
    );
    expect(ev.matched_signals).toEqual(["from_returnpath_mismatch", "from_mailfrom_mismatch", "dkim_fail", "spf_fail"]);
    expect(ev.matched_headers).toEqual(["Authentication-Results", "DKIM-Signature", "From", "Return-Path"]);
  });

  it("matches the bec_wire row: from/return-path mismatch only", () => {
    const ev = evidence(run("sender_masquerade", ALL_SIGNALS, { from_domain: "ceo@victim.example", return_path_domain: "evil.example", rcpt_count: 1 }));
    expect(ev).toEqual({ ...BASE, rcpt_count: 1, matched_headers: ["From", "Return-Path"], matched_signals: ["from_returnpath_mismatch"] });
  });

  it("counts dom() === '' as present, and equal domains as no mismatch", () => {
    expect(evidence(run("sender_masquerade", ALL_SIGNALS, { from_domain: "x@", return_path_domain: "evil.example" })).matched_signals).toEqual([
      "from_returnpath_mismatch",
    ]);
    expect(run("sender_masquerade", ALL_SIGNALS, { from_domain: "CEO@Victim.Example", return_path_domain: "victim.example" })).toBeNull();
  });

  it("only uses enabled signals; dkim/spf need === false", () => {
    expect(evidence(run("sender_masquerade", { signals: ["spf_fail"] }, { spf_pass: false, dkim_signed: false })).matched_signals).toEqual(["spf_fail"]);
    expect(run("sender_masquerade", { signals: ["spf_fail"] }, { from_domain: "a", return_path_domain: "b" })).toBeNull();
    expect(run("sender_masquerade", {}, { spf_pass: false })).toBeNull();
    expect(run("sender_masquerade", ALL_SIGNALS, {})).toBeNull();
    expect(run("sender_masquerade", ALL_SIGNALS, { spf_pass: 0, dkim_signed: null })).toBe(SKIP);
    expect(run("sender_masquerade", ALL_SIGNALS, { from_domain: 5, return_path_domain: "x" })).toBe(SKIP);
    expect(evidence(run("sender_masquerade", ALL_SIGNALS, { spf_pass: 0, dkim_signed: false })).matched_signals).toEqual(["dkim_fail"]);
  });
});

describe("lifter:email_malicious_attachment", () => {
  it("takes the first enabled trigger in fixed priority", () => {
    const all = { attachment_macros: true, attachment_password_protected: true, html_smuggling: true, mal_hash_match: true, attachment_extensions: ["lnk"] };
    expect(evidence(run("malicious_attachment", ALL_TRIGGERS, all))).toEqual({ ...BASE, matched_trigger: "office_macro" });
    expect(evidence(run("malicious_attachment", { triggers: ["lnk", "mal_hash_match"] }, all)).matched_trigger).toBe("mal_hash_match");
    expect(evidence(run("malicious_attachment", { triggers: ["img", "iso"] }, { attachment_extensions: ["img", "iso"] })).matched_trigger).toBe("iso");
  });

  it("normalises extensions: lowercase, all leading dots stripped; filenames never match", () => {
    expect(evidence(run("malicious_attachment", ALL_TRIGGERS, { attachment_extensions: ["..ISO"] })).matched_trigger).toBe("iso");
    expect(run("malicious_attachment", ALL_TRIGGERS, { attachment_extensions: ["invoice.lnk", "exe", 5] })).toBeNull();
  });

  it("needs === true flags and an enabled trigger", () => {
    expect(run("malicious_attachment", ALL_TRIGGERS, { attachment_macros: 1 })).toBe(SKIP);
    expect(run("malicious_attachment", ALL_TRIGGERS, { attachment_macros: false })).toBeNull();
    expect(run("malicious_attachment", {}, { attachment_macros: true })).toBeNull();
    expect(run("malicious_attachment", ALL_TRIGGERS, {})).toBeNull();
    expect(run("malicious_attachment", ALL_TRIGGERS, { attachment_extensions: ".lnk" })).toBe(SKIP);
    expect(evidence(run("malicious_attachment", ALL_TRIGGERS, { attachment_macros: "yes", html_smuggling: true })).matched_trigger).toBe("html_smuggling");
  });
});

describe("lifter:email_bec", () => {
  it("matches the bec_wire row: first keywords in spec order", () => {
    const ev = evidence(
      run("bec", BEC, {
        subject: "Urgent wire transfer needed",
        from_domain: "ceo@victim.example",
        return_path_domain: "evil.example",
        rcpt_count: 1,
        body_text: "Please send 50k transfer today",
      }),
    );
    expect(ev).toEqual({
      ...BASE,
      rcpt_count: 1,
      matched_headers: ["Subject"],
      matched_subject_kw: "urgent",
      matched_body_kw: "send",
      body_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("matches plain substrings and keeps the spec's spelling", () => {
    expect(evidence(run("bec", BEC, { subject: "hardwired", body_text: "SENDER" })).matched_subject_kw).toBe("wire");
    expect(evidence(run("bec", BEC, { subject: "Gift Card needed", body_text: "transfer" })).matched_subject_kw).toBe("gift card");
    expect(evidence(run("bec", { subject_keywords: ["URGENT"], body_action_keywords: ["Send"] }, { subject: "urgent", body_text: "send" }))).toMatchObject({
      matched_subject_kw: "URGENT",
      matched_body_kw: "Send",
    });
  });

  it("needs both a subject and a body hit", () => {
    expect(run("bec", BEC, { subject: "Hello", body_text: "send" })).toBeNull();
    expect(run("bec", BEC, { subject: "urgent", body_text: "hello" })).toBeNull();
    expect(run("bec", BEC, { subject: "", body_text: "send" })).toBeNull();
    expect(run("bec", {}, { subject: "urgent", body_text: "send" })).toBeNull();
  });

  it("refuses an empty keyword at validation (upstream: an empty keyword first silently disables the list)", () => {
    const spec = emailSpecs.find((s) => s.kind === "lifter:email_bec")!;
    const r = spec.params.safeParse({ ...BEC, subject_keywords: ["", "urgent"] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["subject_keywords", 0]);
  });

  it("reads the disk body only when body_text is not a string, and hashes it", () => {
    const { ctx, emailBodyFromDisk } = ctxWith("Click here to send");
    const spec = emailSpecs.find((s) => s.kind === "lifter:email_bec")!;
    const bec = emailAnalyzers.find((a) => a.kind === "lifter:email_bec")!;
    const config = bec.prepare(spec.params.parse(BEC));
    const ev = evidence(bec.evaluate(config, { subject: "urgent", decky_id: "d1", stored_as: "x" }, ctx));
    expect(ev.matched_body_kw).toBe("send");
    expect(ev.body_sha256).toBe(evidence(run("bec", BEC, { subject: "urgent", body_text: "Click here to send" })).body_sha256);
    expect(emailBodyFromDisk).toHaveBeenCalledTimes(1);

    emailBodyFromDisk.mockClear();
    expect(bec.evaluate(config, { subject: "urgent", body_text: "" }, ctx)).toBeNull();
    expect(bec.evaluate(config, { subject: "nothing", decky_id: "d1" }, ctx)).toBeNull();
    expect(emailBodyFromDisk).not.toHaveBeenCalled();
  });

  it("skips an ill-typed subject, and an ill-typed body_text without a disk body", () => {
    expect(run("bec", BEC, { subject: 5, body_text: "send" })).toBe(SKIP);
    expect(run("bec", BEC, { subject: "urgent", body_text: 5 })).toBe(SKIP);
    expect(evidence(run("bec", BEC, { subject: "urgent", body_text: 5 }, "send"))).toBeTruthy();
    expect(run("bec", BEC, { subject: "urgent" })).toBeNull();
  });
});

describe("lifter:email_encoded_payload", () => {
  const p = { min_bytes: 4096 };

  it("fires from 4096 bytes of base64 (5464 characters), not 4095", () => {
    const b64 = base64Of(4096);
    expect(b64).toHaveLength(5464);
    expect(evidence(run("encoded_payload", p, { body_text: `see: ${b64} end` }))).toEqual({
      ...BASE,
      encoded_byte_count: 4096,
      body_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(run("encoded_payload", p, { body_text: base64Of(4095) })).toBeNull();
    expect(evidence(run("encoded_payload", p, { body_text: base64Of(8192) })).encoded_byte_count).toBe(8192);
  });

  it("never reaches 4096 with MIME-wrapped base64", () => {
    const wrapped = base64Of(20_000).replace(/(.{76})/g, "$1\r\n");
    expect(run("encoded_payload", p, { body_text: wrapped })).toBeNull();
  });

  it("takes body_base64_bytes when it is an int over the threshold", () => {
    expect(evidence(run("encoded_payload", p, { body_text: "x", body_base64_bytes: 4096 })).encoded_byte_count).toBe(4096);
    expect(run("encoded_payload", p, { body_text: "x", body_base64_bytes: 4095 })).toBeNull();
    expect(run("encoded_payload", p, { body_text: "x", body_base64_bytes: "5000" })).toBe(SKIP);
    expect(evidence(run("encoded_payload", p, { body_text: base64Of(5000), body_base64_bytes: 10 })).encoded_byte_count).toBe(5000);
  });

  it('body_text "" short-circuits the disk and never fires, even with body_base64_bytes over the threshold', () => {
    const { ctx, emailBodyFromDisk } = ctxWith(base64Of(9000));
    const spec = emailSpecs.find((s) => s.kind === "lifter:email_encoded_payload")!;
    const a = emailAnalyzers.find((x) => x.kind === "lifter:email_encoded_payload")!;
    const config = a.prepare(spec.params.parse(p));
    expect(a.evaluate(config, { body_text: "", body_base64_bytes: 99_999, decky_id: "d", stored_as: "s" }, ctx)).toBeNull();
    expect(emailBodyFromDisk).not.toHaveBeenCalled();
    expect(evidence(a.evaluate(config, { decky_id: "d", stored_as: "s" }, ctx)).encoded_byte_count).toBe(9000);
    expect(emailBodyFromDisk).toHaveBeenCalledTimes(1);
  });

  it("does not fire without a body", () => {
    expect(run("encoded_payload", p, { body_base64_bytes: 99_999 })).toBeNull();
    expect(run("encoded_payload", p, { body_text: null, body_base64_bytes: 99_999 })).toBeNull();
    expect(run("encoded_payload", p, { body_text: ["x"] })).toBe(SKIP);
  });
});

describe("email evidence", () => {
  it("is the PII-safe base: rcpt domains lowercased, de-duplicated, sorted; hashes listed; nothing copied", () => {
    const ev = evidence(
      run("open_relay", {}, {
        rcpt_count: 12,
        rcpt_domains: ["B.example", "a.example", "b.EXAMPLE", 7],
        attachment_sha256s: ["h1", 2, "h2"],
        body_sha256: "given",
        body_text: "Click here",
        subject: "secret",
      }),
    );
    expect(ev).toEqual({
      body_sha256: "given",
      matched_headers: ["From", "Mail-From"],
      rcpt_domain_set: ["a.example", "b.example"],
      attachment_sha256s: ["h1", "h2"],
      rcpt_count: 12,
    });
  });

  it("hashes body_text when body_sha256 is empty", () => {
    expect(evidence(run("open_relay", {}, { rcpt_count: 12, body_sha256: "", body_text: "Click here" })).body_sha256).toBe(CLICK_HERE_SHA);
    expect(evidence(run("open_relay", {}, { rcpt_count: 12, body_sha256: 5, body_text: "" })).body_sha256).toBe("");
  });

  it("takes rcpt_domains only as a list (upstream iterates a string by character, an object by key, and raises on a number)", () => {
    for (const rcpt_domains of ["ab.c", { "X.example": 1 }, 0, 5, true]) {
      expect(evidence(run("open_relay", {}, { rcpt_count: 12, rcpt_domains })).rcpt_domain_set).toEqual([]);
    }
    expect(evidence(run("open_relay", {}, { rcpt_count: 12, rcpt_domains: ["B.example", "a.example", "b.example", 7] })).rcpt_domain_set).toEqual(["a.example", "b.example"]);
  });

  it("sorts by code point, as Python does", () => {
    const astral = "\u{1F600}.example";
    const bmpHigh = "\uFF21.example".toLowerCase();
    expect(evidence(run("open_relay", {}, { rcpt_count: 12, rcpt_domains: [astral, bmpHigh] })).rcpt_domain_set).toEqual([bmpHigh, astral]);
    // Without any surrogate, code unit order is code point order (the fast path): same result as Python's sorted().
    const plain = ["z.example", "\u00e9.example", "a.example", "\uFF41.example", "0.example"];
    expect(evidence(run("open_relay", {}, { rcpt_count: 12, rcpt_domains: plain })).rcpt_domain_set).toEqual(["0.example", "a.example", "z.example", "\u00e9.example", "\uFF41.example"]);
    // One astral domain among thousands switches the whole list to code point order.
    const many = Array.from({ length: 2000 }, (_, k) => `d${k}.\uFF41`);
    const sorted = evidence(run("open_relay", {}, { rcpt_count: 12, rcpt_domains: [...many, astral] })).rcpt_domain_set as string[];
    expect(sorted.at(-1)).toBe(astral);
    expect(sorted.slice(0, -1)).toEqual([...many].sort());
  });

  it("reads no inherited properties", () => {
    const payload = Object.create({ rcpt_count: 50 }) as Record<string, unknown>;
    expect(run("open_relay", {}, payload)).toBeNull();
  });
});

describe("base64RunBytes against upstream's regex search", () => {
  // Upstream: the non-overlapping matches of [A-Za-z0-9+/]{32,}={0,2}, left to right, each strictly decoded.
  function reference(text: string, min: number): number {
    const re = /[A-Za-z0-9+/]{32,}={0,2}/g;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const s = m[0];
      let p = 0;
      while (p < 2 && s.charCodeAt(s.length - 1 - p) === 61) p++;
      const n = s.length - p;
      const r = n % 4;
      const d = r === 0 ? (3 * n) / 4 : r === 2 && p === 2 ? (3 * (n - 2)) / 4 + 1 : r === 3 && p === 1 ? (3 * (n - 3)) / 4 + 2 : -1;
      if (d >= 0 && d >= min) return d;
    }
    return -1;
  }

  it("agrees on random texts of runs, padding, spaces and non-ASCII", () => {
    let seed = 11;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pieces = ["A", "z", "9", "+", "/", "=", " ", "\n", "é", "-", "."];
    for (let k = 0; k < 3000; k++) {
      let text = "";
      const parts = Math.floor(rnd() * 12);
      for (let i = 0; i < parts; i++) {
        const run = Math.floor(rnd() * 70);
        const piece = pieces[Math.floor(rnd() * pieces.length)] as string;
        text += rnd() < 0.6 ? "Ab9+/".repeat(Math.ceil(run / 5)).slice(0, run) : piece.repeat(1 + Math.floor(rnd() * 3));
      }
      for (const min of [1, 24, 30, 48]) expect(base64RunBytes(text, min), JSON.stringify([text, min])).toBe(reference(text, min));
    }
  });
});
