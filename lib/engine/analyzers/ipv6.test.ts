import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { ipv6Specs } from "../../rules/analyzers/ipv6";
import { ipv6Analyzers } from "./ipv6";
import { testContext } from "./testing/context";
import { SKIP, type AnalyzerOutcome, type Payload } from "./types";

const KIND = "lifter:ipv6_link_local_leak";

const ctxFor = (payload: Payload, evidenceFields: readonly string[]) => testContext(evidenceFields, payload);

function rule(params: Record<string, unknown> = {}, evidenceFields: readonly string[] = []) {
  const spec = ipv6Specs.find((s) => s.kind === KIND);
  const analyzer = ipv6Analyzers.find((a) => a.kind === KIND);
  if (!spec || !analyzer) throw new Error(`no ${KIND}`);
  const config: unknown = analyzer.prepare(spec.params.parse(params));
  return (payload: Payload): AnalyzerOutcome => analyzer.evaluate(config, payload, ctxFor(payload, evidenceFields));
}

function evidenceOf(outcome: AnalyzerOutcome): Record<string, unknown> {
  if (outcome === null || outcome === SKIP || !("evidence" in outcome)) throw new Error(`no fire: ${String(outcome)}`);
  return outcome.evidence;
}

const DEFAULTS = { mac_oui: "", iid_kind: "unknown", vector: "", on_iface: "", attacker_v4: "", observed_at: "" };

describe("ipv6 spec", () => {
  it("has one parameterless kind of the ipv6 family", () => {
    expect(ipv6Specs.map((s) => s.kind)).toEqual([KIND]);
    expect(ipv6Analyzers.map((a) => a.kind)).toEqual([KIND]);
    expect(ipv6Specs[0]?.family).toBe("ipv6");
    expect(ipv6Analyzers[0]?.family).toBe("ipv6");
    expect(ipv6Specs[0]?.patternParams).toEqual([]);
    expect(Object.keys((ipv6Specs[0]?.params as unknown as z.ZodObject).shape)).toEqual([]);
    expect(ipv6Specs[0]?.params.parse({ unused: 1 })).toEqual({ unused: 1 });
    expect(ipv6Specs[0]?.reads).toEqual(expect.arrayContaining(["addr", "src_ip", "attacker_v4", "attacker_ip"]));
  });
});

describe("lifter:ipv6_link_local_leak (R0059)", () => {
  const r = rule({}, ["addr", "session_id"]);

  it("fires on the textual fe80: prefix, case-insensitively, keeping the original case", () => {
    expect(evidenceOf(r({ addr: "fe80::1" }))).toEqual({ addr: "fe80::1", ...DEFAULTS });
    expect(evidenceOf(r({ addr: "FE80::A1B2%eth0" }))).toEqual({ addr: "FE80::A1B2%eth0", ...DEFAULTS });
    expect(evidenceOf(r({ addr: "Fe80:0:0:0::1" }))).toEqual({ addr: "Fe80:0:0:0::1", ...DEFAULTS });
  });

  it("does not fire on the rest of fe80::/10 or other addresses", () => {
    for (const a of ["fe81::1", "febf::1", "fe8::1", "fe80", "fe800::1", " fe80::1", "2001:db8::1", "::1", "10.0.0.1", ""]) {
      expect(r({ addr: a }), a).toBeNull();
    }
  });

  it("falls back from a falsy addr to src_ip", () => {
    expect(evidenceOf(r({ src_ip: "fe80::2" }))).toEqual({ addr: "fe80::2", ...DEFAULTS });
    expect(evidenceOf(r({ addr: "", src_ip: "fe80::2" }))).toEqual({ addr: "fe80::2", ...DEFAULTS });
    expect(evidenceOf(r({ addr: 0, src_ip: "fe80::2" }))).toEqual({ addr: "fe80::2", ...DEFAULTS });
    expect(evidenceOf(r({ addr: null, src_ip: "fe80::2" }))).toEqual({ addr: "fe80::2", ...DEFAULTS });
    expect(r({ addr: "2001:db8::1", src_ip: "fe80::2" })).toBeNull();
    expect(r({ addr: "", src_ip: "" })).toBeNull();
  });

  it("skips a non-string address where upstream would crash", () => {
    expect(r({ addr: 5 })).toBe(SKIP);
    expect(r({ addr: ["fe80::1"] })).toBe(SKIP);
    expect(r({ addr: { a: "fe80::1" } })).toBe(SKIP);
    expect(r({ addr: true })).toBe(SKIP);
    expect(r({ addr: "", src_ip: 5 })).toBe(SKIP);
    expect(r({ addr: 0, src_ip: false })).toBe(SKIP);
    expect(r({ src_ip: [] })).toBe(SKIP);
    // src_ip is not read when addr is a truthy string.
    expect(evidenceOf(r({ addr: "fe80::1", src_ip: 5 }))).toEqual({ addr: "fe80::1", ...DEFAULTS });
  });

  it("does not fire without an address", () => {
    expect(r({})).toBeNull();
    expect(r({ addr: null })).toBeNull();
    expect(r({ addr: "", src_ip: null })).toBeNull();
    expect(r({ addr: 0 })).toBeNull();
    expect(r(Object.create({ addr: "fe80::1" }) as Payload)).toBeNull(); // own properties only
  });

  it("builds exactly the 7 keys, defaults only for absent keys", () => {
    const full = {
      addr: "fe80::a00:27ff:fe4e:66a1",
      mac_oui: "08:00:27",
      iid_kind: "eui64",
      vector: "mdns",
      on_iface: "eth1",
      attacker_v4: "203.0.113.7",
      observed_at: "2026-06-20T10:00:00Z",
      session_id: "s1",
      extra: "ignored",
    };
    const ev = evidenceOf(r(full));
    expect(Object.keys(ev)).toEqual(["addr", "mac_oui", "iid_kind", "vector", "on_iface", "attacker_v4", "observed_at"]);
    expect(ev).toEqual({
      addr: "fe80::a00:27ff:fe4e:66a1",
      mac_oui: "08:00:27",
      iid_kind: "eui64",
      vector: "mdns",
      on_iface: "eth1",
      attacker_v4: "203.0.113.7",
      observed_at: "2026-06-20T10:00:00Z",
    });
    // A present null (or any other value) passes through.
    expect(evidenceOf(r({ addr: "fe80::1", mac_oui: null, iid_kind: null, vector: 7, on_iface: [], observed_at: false }))).toEqual({
      addr: "fe80::1",
      mac_oui: null,
      iid_kind: null,
      vector: 7,
      on_iface: [],
      attacker_v4: "",
      observed_at: false,
    });
  });

  it("takes attacker_v4 ‖ attacker_ip ‖ \"\"", () => {
    const v4 = (p: Payload) => evidenceOf(r({ addr: "fe80::1", ...p })).attacker_v4;
    expect(v4({ attacker_v4: "1.2.3.4", attacker_ip: "5.6.7.8" })).toBe("1.2.3.4");
    expect(v4({ attacker_v4: "", attacker_ip: "5.6.7.8" })).toBe("5.6.7.8");
    expect(v4({ attacker_v4: null, attacker_ip: "5.6.7.8" })).toBe("5.6.7.8");
    expect(v4({ attacker_ip: "5.6.7.8" })).toBe("5.6.7.8");
    expect(v4({ attacker_v4: null, attacker_ip: null })).toBe("");
    expect(v4({ attacker_v4: 0, attacker_ip: 0 })).toBe("");
    expect(v4({ attacker_v4: 42 })).toBe(42);
  });

  it("never throws on odd payloads", () => {
    for (const p of [{ addr: "\ud800" }, { addr: "fe80:\udfff" }, JSON.parse('{"__proto__": {"addr": "fe80::1"}}') as Payload]) {
      expect(() => r(p)).not.toThrow();
    }
    expect(evidenceOf(r({ addr: "fe80:\udfff" })).addr).toBe("fe80:\udfff");
  });
});
