import { describe, expect, it } from "vitest";
import { eventsFromMessage, sourceKindForTopic } from "./nats-envelope";

const env = (topic: string, payload: unknown, type = "x"): string => JSON.stringify({ v: 1, id: "e-1", topic, type, ts: "2026-12-01T00:00:00Z", payload });

describe("topic → source kind (DECNET's worker)", () => {
  it.each([
    ["attacker.session.ended", "session"],
    ["attacker.observed", "session"],
    ["attacker.intel.enriched", "intel"],
    ["identity.formed", "identity"],
    ["identity.merged", "identity"],
    ["credential.reuse.detected", "credential"],
    ["email.received", "email"],
    ["canary.tok-9.triggered", "canary_fingerprint"],
  ])("%s → %s", (topic, kind) => expect(sourceKindForTopic(topic, "ignored")).toBe(kind));

  it("a topic outside the table uses the envelope's type; none → null", () => {
    expect(sourceKindForTopic("attacker.fingerprinted", "http_fingerprint")).toBe("http_fingerprint");
    expect(sourceKindForTopic("attacker.fingerprinted", "")).toBeNull();
    expect(sourceKindForTopic("attacker.fingerprinted", undefined)).toBeNull();
  });
});

describe("eventsFromMessage: envelopes", () => {
  it("source_id is the first truthy of source_id, session_id, token_id, identity_uuid, credential_id, attacker_uuid, uuid, else the topic", () => {
    const one = (payload: Record<string, unknown>): string => {
      const r = eventsFromMessage("identity.formed", env("identity.formed", { attacker_uuid: "A", ...payload }));
      if (!r.ok) throw new Error(r.detail);
      return r.events[0]!.source_id;
    };
    expect(one({ source_id: "S", session_id: "X" })).toBe("S");
    expect(one({ source_id: "", session_id: "X" })).toBe("X");
    expect(one({ session_id: 0, token_id: "T" })).toBe("T");
    expect(one({ identity_uuid: "I", credential_id: "C" })).toBe("I");
    expect(one({ credential_id: 42 })).toBe("42");
    expect(one({})).toBe("A");
    const r = eventsFromMessage("identity.formed", env("identity.formed", { identity_uuid: null, attacker_uuid: "" , uuid: "" }));
    expect(r.ok && r.events[0]!.source_id).toBe("identity.formed");
  });

  it("copies the envelope ids from the payload and the payload itself (shallow)", () => {
    const payload = { attacker_uuid: "A", identity_uuid: null, session_id: "S", decky_id: "d1", token_id: "t", extra: { k: 1 } };
    const r = eventsFromMessage("pfx.canary.t.triggered", env("canary.t.triggered", payload), "pfx.");
    expect(r).toEqual({
      ok: true,
      events: [{ source_kind: "canary_fingerprint", source_id: "S", attacker_uuid: "A", identity_uuid: null, session_id: "S", decky_id: "d1", payload }],
    });
  });

  it("session fan-out: the session event, then one command event per entry with `<session source_id>#cmd<i>` or the command's own id", () => {
    const payload = {
      session_id: "sess-1",
      attacker_uuid: "A",
      decky_id: "d",
      commands: ["cat /etc/shadow", { command: "uname -a" }, { id: "c-7", command_text: "id" }, { uuid: "u-8", cmd: "w" }, { command_id: 9, command_text: "ls" }, 42],
    };
    const r = eventsFromMessage("attacker.session.ended", env("attacker.session.ended", payload));
    if (!r.ok) throw new Error(r.detail);
    expect(r.events.map((e) => [e.source_kind, e.source_id, e.payload.command_text])).toEqual([
      ["session", "sess-1", undefined],
      ["command", "sess-1#cmd0", "cat /etc/shadow"],
      ["command", "sess-1#cmd1", "uname -a"],
      ["command", "c-7", "id"],
      ["command", "u-8", "w"],
      ["command", "9", "ls"],
    ]);
    for (const e of r.events.slice(1)) expect(e).toMatchObject({ attacker_uuid: "A", identity_uuid: null, session_id: "sess-1", decky_id: "d" });
  });

  it("the subject is the topic, never the wire's topic field (as DECNET's bus)", () => {
    const r = eventsFromMessage("p.identity.formed", env("attacker.session.ended", { identity_uuid: "I", commands: ["ls"] }), "p.");
    expect(r.ok && r.events.map((e) => e.source_kind)).toEqual(["identity"]);
  });

  it("no fan-out outside session kinds", () => {
    const r = eventsFromMessage("identity.formed", env("identity.formed", { identity_uuid: "I", commands: ["ls"] }));
    expect(r.ok && r.events.length).toBe(1);
  });

  it("poison: malformed JSON, wrong envelope shape, no anchor", () => {
    expect(eventsFromMessage("attacker.observed", "{nope")).toMatchObject({ ok: false, reason: "malformed_json" });
    expect(eventsFromMessage("attacker.observed", "[1]")).toMatchObject({ ok: false, reason: "bad_envelope" });
    expect(eventsFromMessage("attacker.observed", JSON.stringify({ topic: "attacker.observed", payload: "x" }))).toMatchObject({ ok: false, reason: "bad_envelope" });
    expect(eventsFromMessage("attacker.observed", JSON.stringify({ type: 5, payload: { attacker_uuid: "A" } }))).toMatchObject({ ok: false, reason: "bad_envelope" });
    expect(eventsFromMessage("x.y", JSON.stringify({ topic: "x.y", payload: { attacker_uuid: "A" } }))).toMatchObject({ ok: false, reason: "bad_envelope" });
    expect(eventsFromMessage("attacker.observed", JSON.stringify({ v: 1 }))).toMatchObject({ ok: false, reason: "no_anchor" });
    expect(eventsFromMessage("attacker.observed", env("attacker.observed", { session_id: "s" }))).toMatchObject({ ok: false, reason: "no_anchor" });
  });
});

describe("eventsFromMessage: this project's event JSON on <prefix>ttp.input.<kind>", () => {
  it("takes the event as is; the subject's kind fills a missing source_kind", () => {
    const ev = { source_id: "c1", attacker_uuid: "A", payload: { command_text: "id" } };
    expect(eventsFromMessage("p.ttp.input.command", JSON.stringify(ev), "p.")).toEqual({ ok: true, events: [{ ...ev, source_kind: "command" }] });
  });

  it("a conflicting kind, an invalid event or a missing anchor is poison", () => {
    const ev = { source_kind: "http_request", source_id: "c1", attacker_uuid: "A", payload: {} };
    expect(eventsFromMessage("ttp.input.command", JSON.stringify(ev))).toMatchObject({ ok: false, reason: "bad_event" });
    expect(eventsFromMessage("ttp.input.command", JSON.stringify({ source_id: "c1", attacker_uuid: "A" }))).toMatchObject({ ok: false, reason: "bad_event" });
    expect(eventsFromMessage("ttp.input.command", JSON.stringify({ source_id: "c1", payload: {} }))).toMatchObject({ ok: false, reason: "no_anchor" });
  });
});
