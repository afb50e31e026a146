import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { DEFAULT_STATE, effectiveState, MAX_REASON_LENGTH } from "../state/semantics";
import { InProcessBus, type Bus } from "./bus";
import { malformedRuleYaml, manualClock, recordChanges, sleep, validRuleYaml, waitFor } from "./testing/fixtures";
import { installSpanRecorder } from "./testing/spans";
import { storeTargets } from "./testing/targets";
import { SYSTEM_EXPIRY_ACTOR, type ChangeEvent, type RuleChange, type RuleStore } from "./types";

const ACTOR = "alice";

async function catchError(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to throw");
}

const changesOnly = (events: ChangeEvent[]): RuleChange[] => events.filter((e): e is RuleChange => e.kind !== "resync");

describe.each(storeTargets().map((t) => [t.name, t] as const))("RuleStore conformance: %s", (_name, target) => {
  beforeAll(() => target.setup());
  afterAll(() => target.teardown());
  afterEach(() => target.reset());

  async function storeWith(ids: string[], options?: Parameters<typeof target.create>[0]): Promise<RuleStore> {
    const store = await target.create(options);
    for (const id of ids) await store.upsertRule(validRuleYaml(id), { actor: ACTOR });
    return store;
  }

  describe("operational state (§2)", () => {
    it("getState on an unknown rule returns the default state without throwing", async () => {
      const store = await target.create();
      expect(await store.getState("NOPE")).toEqual(DEFAULT_STATE);
    });

    it("setState on an unknown rule is NotFoundError and creates no state", async () => {
      const store = await target.create();
      const err = await catchError(store.setState("R1", { state: "disabled" }, ACTOR));
      expect(err).toBeInstanceOf(NotFoundError);
      await store.upsertRule(validRuleYaml("R1"), { actor: ACTOR });
      expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
      expect((await store.history({ limit: 10 })).filter((e) => e.kind === "state")).toEqual([]);
    });

    it("setState returns the stored state: set_by from the actor, set_at from the store clock", async () => {
      const clock = manualClock();
      const store = await storeWith(["R1"], { clock });
      const stored = await store.setState("R1", { state: "disabled", reason: "noisy" }, ACTOR);
      expect(stored).toEqual({
        state: "disabled",
        confidence_max: null,
        expires_at: null,
        reason: "noisy",
        set_by: ACTOR,
        set_at: new Date(clock()).toISOString(),
      });
      expect(await store.getState("R1")).toEqual(stored);
      expect((await store.getRule("R1")).state).toEqual(stored);
    });

    it("refuses set_by / set_at in the body (strict schema) and keeps the previous state", async () => {
      const store = await storeWith(["R1"]);
      for (const body of [{ state: "disabled", set_by: "mallory" }, { state: "disabled", set_at: "2020-01-01T00:00:00Z" }]) {
        const err = await catchError(store.setState("R1", body, ACTOR));
        expect(err).toBeInstanceOf(ValidationError);
      }
      expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
    });

    it("clipped requires confidence_max in [0, 1); issues carry rule id, path and line:column", async () => {
      const store = await storeWith(["R1"]);
      for (const body of [{ state: "clipped" }, { state: "clipped", confidence_max: 1 }, { state: "clipped", confidence_max: -0.1 }]) {
        const err = await catchError(store.setState("R1", body, ACTOR));
        expect(err).toBeInstanceOf(ValidationError);
        const issue = (err as ValidationError).issues[0];
        expect(issue).toMatchObject({ source: "R1", path: ["confidence_max"], line: 1, column: 1 });
      }
      expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
      const ok = await store.setState("R1", { state: "clipped", confidence_max: 0 }, ACTOR);
      expect(ok).toMatchObject({ state: "clipped", confidence_max: 0 });
      const enabled = await store.setState("R1", { state: "enabled", confidence_max: 0.5 }, ACTOR);
      expect(enabled.confidence_max).toBeNull();
    });

    it("refuses an expires_at that is not in the future (store clock)", async () => {
      const clock = manualClock();
      const store = await storeWith(["R1"], { clock });
      for (const at of [clock() - 1000, clock()]) {
        const err = await catchError(store.setState("R1", { state: "disabled", expires_at: new Date(at).toISOString() }, ACTOR));
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).issues[0]?.path).toEqual(["expires_at"]);
      }
      const future = new Date(clock() + 1000).toISOString();
      expect((await store.setState("R1", { state: "disabled", expires_at: future }, ACTOR)).expires_at).toBe(future);
    });

    it("an expired state reads as the default at the exact instant it expires", async () => {
      const clock = manualClock();
      const store = await storeWith(["R1"], { clock });
      const expiresAt = clock() + 60_000;
      await store.setState("R1", { state: "disabled", expires_at: new Date(expiresAt).toISOString() }, ACTOR);
      clock.set(expiresAt - 1);
      expect((await store.getState("R1")).state).toBe("disabled");
      expect((await store.getRule("R1")).state.state).toBe("disabled");
      clock.set(expiresAt);
      expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
      expect((await store.getRule("R1")).state).toEqual(DEFAULT_STATE);
      expect((await store.listRules())[0]?.state).toEqual(DEFAULT_STATE);
      const { rules } = await store.loadCompiled();
      expect(effectiveState(rules[0]?.state, clock())).toEqual(DEFAULT_STATE);
    });

    it("acts on expiry without a reader: one auto-revert change, one system:expiry log entry, one bus message", async () => {
      const bus = new InProcessBus();
      const store = await storeWith(["R1"], { bus });
      const rec = recordChanges(store.subscribeChanges());
      await store.setState("R1", { state: "disabled", expires_at: new Date(Date.now() + 250).toISOString() }, ACTOR);
      await waitFor(() => changesOnly(rec.events).find((c) => c.kind === "state" && c.autoRevert), 3000, "auto-revert change");
      await sleep(300);
      await rec.stop();
      const reverts = changesOnly(rec.events).filter((c) => c.kind === "state" && c.autoRevert);
      expect(reverts).toHaveLength(1);
      expect(reverts[0]).toMatchObject({ kind: "state", ruleId: "R1", autoRevert: true, state: DEFAULT_STATE });
      const log = (await store.history({ ruleId: "R1", limit: 10 })).filter((e) => e.actor === SYSTEM_EXPIRY_ACTOR);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ kind: "state", autoRevert: true });
      expect(bus.messages.filter((m) => m.topic === "ttp.rule.state.R1" && m.payload.auto_revert === true)).toEqual([
        { topic: "ttp.rule.state.R1", payload: { rule_id: "R1", auto_revert: true } },
      ]);
      expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
    });

    it("expiry never reverts a newer state written in the meantime", async () => {
      const store = await storeWith(["R1"]);
      await store.setState("R1", { state: "disabled", expires_at: new Date(Date.now() + 150).toISOString() }, ACTOR);
      await store.setState("R1", { state: "clipped", confidence_max: 0.2 }, "bob");
      await sleep(400);
      expect(await store.getState("R1")).toMatchObject({ state: "clipped", confidence_max: 0.2, set_by: "bob" });
      expect((await store.history({ limit: 10 })).filter((e) => e.actor === SYSTEM_EXPIRY_ACTOR)).toEqual([]);
    });

    it("clearState reverts to the default and is recorded and emitted like any change", async () => {
      const store = await storeWith(["R1"]);
      await store.setState("R1", { state: "disabled" }, ACTOR);
      const rec = recordChanges(store.subscribeChanges());
      expect(await store.clearState("R1", "bob", "false alarm")).toEqual(DEFAULT_STATE);
      expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
      const [entry] = await store.history({ ruleId: "R1", limit: 1 });
      expect(entry).toMatchObject({ kind: "state", actor: "bob", reason: "false alarm", autoRevert: false });
      await waitFor(() => rec.events.length >= 1, 2000, "clear change");
      await rec.stop();
      expect(rec.events[0]).toMatchObject({ kind: "state", ruleId: "R1", autoRevert: false, actor: "bob", state: DEFAULT_STATE });
      expect(await catchError(store.clearState("NOPE", "bob"))).toBeInstanceOf(NotFoundError);
    });

    it("clearState refuses a reason over MAX_REASON_LENGTH like setState, and writes nothing", async () => {
      const store = await storeWith(["R1"]);
      await store.setState("R1", { state: "disabled", reason: "before" }, ACTOR);
      const [before] = await store.history({ limit: 1 });
      const err = await catchError(store.clearState("R1", "bob", "x".repeat(MAX_REASON_LENGTH + 1)));
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues).toEqual([{ source: "R1", path: ["reason"], line: 1, column: 1, message: "reason must be at most 1000 characters", severity: "error" }]);
      expect(await store.getState("R1")).toMatchObject({ state: "disabled", reason: "before" });
      expect((await store.history({ limit: 1 }))[0]?.seq).toBe(before?.seq);
      expect(await store.clearState("R1", "bob", "x".repeat(MAX_REASON_LENGTH))).toEqual(DEFAULT_STATE);
    });
  });

  describe("definitions (§3)", () => {
    it("upsert keeps the original YAML text, comments and description included", async () => {
      const store = await target.create();
      const text = validRuleYaml("R1", { comment: "keep me   exactly", description: "has 'inner' quotes and  double  spaces", extra: "x_custom: {a: 1}  # trailing" });
      const rec = await store.upsertRule(text, { actor: ACTOR });
      expect(rec).toMatchObject({ ruleId: "R1", ruleVersion: 1, name: "system_info_discovery", yamlText: text, revision: 1 });
      expect((await store.getRule("R1")).yamlText).toBe(text);
      expect((await store.listRules()).map((r) => r.yamlText)).toEqual([text]);
      const { rules } = await store.loadCompiled();
      expect(rules[0]?.yamlText).toBe(text);
      expect(rules[0]?.description).toBe("has 'inner' quotes and  double  spaces");
    });

    it("invalid YAML is a ValidationError with line:column and nothing is written", async () => {
      const store = await storeWith(["R1"]);
      const before = await store.listRules();
      const rec = recordChanges(store.subscribeChanges());
      const syntax = await catchError(store.upsertRule(malformedRuleYaml("R1"), { actor: ACTOR }));
      expect(syntax).toBeInstanceOf(ValidationError);
      expect((syntax as ValidationError).issues[0]?.line).toBeGreaterThanOrEqual(6);
      const schema = await catchError(store.upsertRule(validRuleYaml("R2", { confidence: 1.5 }), { actor: ACTOR }));
      expect(schema).toBeInstanceOf(ValidationError);
      expect((schema as ValidationError).issues).toContainEqual(
        expect.objectContaining({ path: ["emits", 0, "confidence"], line: 12, column: 17, severity: "error" }),
      );
      await sleep(150);
      await rec.stop();
      expect(await store.listRules()).toEqual(before);
      expect(rec.events).toEqual([]);
      expect(await store.history({ limit: 10 })).toHaveLength(1);
      expect(await catchError(store.getRule("R2"))).toBeInstanceOf(NotFoundError);
    });

    it("upsertRules: one change per rule that differs, unchanged ones untouched, progress to the total", async () => {
      const store = await storeWith(["R1", "R2"]);
      const rec = recordChanges(store.subscribeChanges());
      const items = [
        { yamlText: validRuleYaml("R1") },
        { yamlText: validRuleYaml("R2", { ruleVersion: 2 }) },
        ...Array.from({ length: 600 }, (_, i) => ({ yamlText: validRuleYaml(`B${i}`) })),
      ];
      const progress: number[] = [];
      const result = await store.upsertRules(items, { actor: "importer", onProgress: (done, total) => progress.push(done / total) });
      expect(result.unchanged).toEqual(["R1"]);
      expect(result.written).toHaveLength(601);
      expect(result.written.slice(0, 2)).toEqual(["R2", "B0"]);
      expect(progress[0]).toBe(0);
      expect(progress.at(-1)).toBe(1);
      expect((await store.getRule("R2")).revision).toBe(2);
      expect(await store.getRule("B599")).toMatchObject({ revision: 1, updatedBy: "importer" });
      await waitFor(() => rec.events.length >= 601, 30_000);
      await rec.stop();
      const changes = changesOnly(rec.events);
      expect(changes).toHaveLength(601);
      expect(new Set(changes.map((c) => c.ruleId)).size).toBe(601);
      expect(changes.every((c) => c.kind === "definition" && c.actor === "importer")).toBe(true);
      const again = await store.upsertRules(items, { actor: "importer" });
      expect(again.written).toEqual([]);
    }, 60_000);

    it("upsertRules validates everything first: one invalid text or a duplicate id writes nothing", async () => {
      const store = await storeWith(["R1"]);
      const before = await store.listRules();
      const bad = await catchError(
        store.upsertRules([{ yamlText: validRuleYaml("R2") }, { yamlText: validRuleYaml("R3", { confidence: 1.5 }), sourcePath: "R3.yaml" }], { actor: ACTOR }),
      );
      expect(bad).toBeInstanceOf(ValidationError);
      expect((bad as ValidationError).issues).toContainEqual(expect.objectContaining({ source: "R3.yaml", path: ["emits", 0, "confidence"] }));
      const dup = await catchError(store.upsertRules([{ yamlText: validRuleYaml("R4") }, { yamlText: validRuleYaml("R4", { ruleVersion: 2 }) }], { actor: ACTOR }));
      expect(dup).toBeInstanceOf(ValidationError);
      expect(await store.listRules()).toEqual(before);
      expect(await store.history({ limit: 10 })).toHaveLength(1);
    });

    it("applies_to: [] is a validation error, never a silent delete", async () => {
      const store = await storeWith(["R1"]);
      const err = await catchError(store.upsertRule(validRuleYaml("R1", { appliesTo: "" }), { actor: ACTOR }));
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues[0]?.path).toEqual(["applies_to"]);
      const rule = await store.getRule("R1");
      expect([...rule.rule.appliesTo]).toEqual(["command"]);
      expect(rule.revision).toBe(1);
    });

    it("revision grows per content change; a stale expectedRevision is a ConflictError carrying the current one", async () => {
      const store = await storeWith(["R1"]);
      const r2 = await store.upsertRule(validRuleYaml("R1", { ruleVersion: 2 }), { actor: ACTOR, expectedRevision: 1 });
      expect(r2.revision).toBe(2);
      const err = await catchError(store.upsertRule(validRuleYaml("R1", { ruleVersion: 3 }), { actor: "bob", expectedRevision: 1 }));
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).currentRevision).toBe(2);
      expect((await store.getRule("R1")).ruleVersion).toBe(2);
      expect(await catchError(store.upsertRule(validRuleYaml("R9"), { actor: ACTOR, expectedRevision: 3 }))).toBeInstanceOf(ConflictError);
      expect(await catchError(store.getRule("R9"))).toBeInstanceOf(NotFoundError);
      expect((await store.upsertRule(validRuleYaml("R9"), { actor: ACTOR, expectedRevision: 0 })).revision).toBe(1);
    });

    it("delete: gone from listRules, getRule NotFound, a deleted change, its state dropped", async () => {
      const store = await storeWith(["R1", "R2"]);
      await store.setState("R1", { state: "disabled" }, ACTOR);
      const rec = recordChanges(store.subscribeChanges());
      expect(await catchError(store.deleteRule("R1", { actor: ACTOR, expectedRevision: 5 }))).toBeInstanceOf(ConflictError);
      await store.deleteRule("R1", { actor: "bob", expectedRevision: 1 });
      expect((await store.listRules()).map((r) => r.ruleId)).toEqual(["R2"]);
      expect(await catchError(store.getRule("R1"))).toBeInstanceOf(NotFoundError);
      expect((await store.loadCompiled()).rules.map((r) => r.ruleId)).toEqual(["R2"]);
      expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
      await waitFor(() => rec.events.length >= 1, 2000, "deleted change");
      await rec.stop();
      expect(rec.events).toHaveLength(1);
      expect(rec.events[0]).toMatchObject({ kind: "deleted", ruleId: "R1", actor: "bob" });
      expect((await store.history({ ruleId: "R1", limit: 1 }))[0]).toMatchObject({ kind: "deleted", actor: "bob" });
      expect(await catchError(store.deleteRule("R1", { actor: ACTOR }))).toBeInstanceOf(NotFoundError);
      await store.upsertRule(validRuleYaml("R1"), { actor: ACTOR });
      expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
    });

    it("listRules and loadCompiled carry revision and the stamped state", async () => {
      const store = await storeWith(["R2", "R1"]);
      await store.setState("R2", { state: "clipped", confidence_max: 0.3 }, ACTOR);
      const list = await store.listRules();
      expect(list.map((r) => [r.ruleId, r.revision, r.state.state])).toEqual([
        ["R1", 1, "enabled"],
        ["R2", 1, "clipped"],
      ]);
      expect(["filesystem", "dashboard", "import"]).toContain(list[0]?.origin);
      const { rules, seq } = await store.loadCompiled();
      expect(seq).not.toBeNull();
      expect(rules.map((r) => [r.ruleId, r.state.state, r.state.confidence_max])).toEqual([
        ["R1", "enabled", null],
        ["R2", "clipped", 0.3],
      ]);
      expect(Object.isFrozen(rules[0])).toBe(true);
    });
  });

  describe("change feed (§3)", () => {
    it("registers synchronously: a write right after subscribe, before any next(), is delivered", async () => {
      const store = await target.create();
      const it = store.subscribeChanges();
      await store.upsertRule(validRuleYaml("R1"), { actor: ACTOR });
      const first = await it.next();
      expect(first.value).toMatchObject({ kind: "definition", ruleId: "R1", revision: 1, actor: ACTOR });
      await it.return?.();
    });

    it("yields one change per edit, in order, with seq, actor and at", async () => {
      const clock = manualClock();
      const store = await target.create({ clock });
      const rec = recordChanges(store.subscribeChanges());
      await store.upsertRule(validRuleYaml("R1"), { actor: "a1" });
      await store.setState("R1", { state: "disabled" }, "a2");
      await store.upsertRule(validRuleYaml("R1", { ruleVersion: 2 }), { actor: "a3" });
      await store.clearState("R1", "a4");
      await store.deleteRule("R1", { actor: "a5" });
      await waitFor(() => rec.events.length >= 5, 3000, "five changes");
      await sleep(100);
      await rec.stop();
      const changes = changesOnly(rec.events);
      expect(rec.events).toHaveLength(5);
      expect(changes.map((c) => [c.kind, c.actor])).toEqual([
        ["definition", "a1"],
        ["state", "a2"],
        ["definition", "a3"],
        ["state", "a4"],
        ["deleted", "a5"],
      ]);
      const seqs = changes.map((c) => c.seq as number);
      expect(seqs.every((s) => typeof s === "number")).toBe(true);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(5);
      expect(changes.every((c) => c.at === new Date(clock()).toISOString())).toBe(true);
      const def = changes[2];
      expect(def?.kind === "definition" && def.rule.ruleVersion).toBe(2);
    });

    it("return() ends the iteration and deregisters", async () => {
      const store = await storeWith(["R1"]);
      const it = store.subscribeChanges();
      const pending = it.next();
      await it.return?.();
      expect(await pending).toEqual({ value: undefined, done: true });
      await store.setState("R1", { state: "disabled" }, ACTOR);
      expect((await it.next()).done).toBe(true);
    });

    it("an AbortSignal ends the iteration", async () => {
      const store = await storeWith(["R1"]);
      const ac = new AbortController();
      const it = store.subscribeChanges({ signal: ac.signal });
      const pending = it.next();
      ac.abort();
      expect((await pending).done).toBe(true);
      await store.setState("R1", { state: "disabled" }, ACTOR);
      expect((await it.next()).done).toBe(true);
    });

    it("a subscriber that falls behind maxBuffered gets a resync marker instead of unbounded memory", async () => {
      const store = await storeWith(["R1"]);
      const it = store.subscribeChanges({ maxBuffered: 2 });
      for (let i = 0; i < 4; i++) await store.setState("R1", { state: i % 2 ? "enabled" : "disabled" }, ACTOR);
      await sleep(100);
      const first = await it.next();
      expect(first.value).toMatchObject({ kind: "resync" });
      await store.clearState("R1", ACTOR);
      const next = await it.next();
      expect(next.value).toMatchObject({ kind: "state", ruleId: "R1" });
      await it.return?.();
    });

    it("subscribe, then load, then apply changes with seq > loaded seq: every edit exactly once", async () => {
      const store = await target.create();
      const it = store.subscribeChanges();
      await store.upsertRule(validRuleYaml("R1"), { actor: ACTOR });
      const { rules, seq } = await store.loadCompiled();
      expect(rules.map((r) => r.ruleId)).toEqual(["R1"]);
      await store.upsertRule(validRuleYaml("R2"), { actor: ACTOR });
      await store.setState("R1", { state: "disabled" }, ACTOR);
      const applied: string[] = [];
      while (applied.length < 2) {
        const { value } = await it.next();
        if (!value || value.kind === "resync") throw new Error("unexpected end or resync");
        if ((value.seq as number) <= (seq as number)) continue;
        applied.push(`${value.kind}:${value.ruleId}`);
      }
      await it.return?.();
      expect(applied).toEqual(["definition:R2", "state:R1"]);
    });
  });

  describe("resuming the feed: subscribeChanges({ fromSeq }) and headSeq() (§3)", () => {
    it("headSeq() is 0 before any change and then the seq of the newest change", async () => {
      const store = await target.create();
      expect(await store.headSeq()).toBe(0);
      const rec = recordChanges(store.subscribeChanges());
      await store.upsertRule(validRuleYaml("R1"), { actor: ACTOR });
      await store.setState("R1", { state: "disabled" }, ACTOR);
      await waitFor(() => rec.events.length >= 2, 3000, "two changes");
      await rec.stop();
      const last = changesOnly(rec.events).at(-1);
      expect(await store.headSeq()).toBe(last?.seq);
      expect((await store.loadCompiled()).seq).toBe(last?.seq);
    });

    it("replays every change after fromSeq in order, then continues live, each exactly once", async () => {
      const store = await storeWith(["R1"]);
      const mark = await store.headSeq();
      await store.setState("R1", { state: "disabled", reason: "one" }, "a1");
      await store.upsertRule(validRuleYaml("R2"), { actor: "a2" });
      await store.clearState("R1", "a3");
      const it = store.subscribeChanges({ fromSeq: mark });
      const got: RuleChange[] = [];
      const pending = (async () => {
        while (got.length < 5) {
          const n = await it.next();
          if (n.done) return;
          if (n.value.kind === "resync") throw new Error("unexpected resync");
          got.push(n.value);
        }
      })();
      await waitFor(() => got.length >= 3, 3000, "the replayed changes");
      await store.setState("R2", { state: "disabled" }, "a4");
      await store.deleteRule("R1", { actor: "a5" });
      await pending;
      await sleep(50);
      await it.return?.();
      expect(got.map((c) => [c.kind, c.ruleId, c.actor])).toEqual([
        ["state", "R1", "a1"],
        ["definition", "R2", "a2"],
        ["state", "R1", "a3"],
        ["state", "R2", "a4"],
        ["deleted", "R1", "a5"],
      ]);
      const seqs = got.map((c) => c.seq as number);
      expect(seqs).toEqual(Array.from({ length: 5 }, (_, i) => mark + 1 + i));
      expect(await store.headSeq()).toBe(seqs.at(-1));
    });

    it("fromSeq = head streams only later changes; an abort ends a replaying subscription", async () => {
      const store = await storeWith(["R1"]);
      const head = await store.headSeq();
      const it = store.subscribeChanges({ fromSeq: head });
      const next = it.next();
      await store.setState("R1", { state: "disabled" }, ACTOR);
      expect((await next).value).toMatchObject({ kind: "state", ruleId: "R1", seq: head + 1 });
      await it.return?.();
      const ac = new AbortController();
      const replaying = store.subscribeChanges({ fromSeq: 0, signal: ac.signal });
      expect((await replaying.next()).value).toMatchObject({ kind: "definition", ruleId: "R1" });
      ac.abort();
      let done = false;
      for (let i = 0; i < 10 && !done; i++) done = Boolean((await replaying.next()).done);
      expect(done).toBe(true);
    });
  });

  describe("history", () => {
    it("is newest first and honours limit, before and ruleId", async () => {
      const store = await storeWith(["R1", "R2"]);
      await store.setState("R1", { state: "disabled" }, "bob");
      await store.setState("R2", { state: "disabled" }, "carol");
      await store.clearState("R1", "dave", "done");
      const all = await store.history({ limit: 100 });
      expect(all.map((e) => [e.ruleId, e.kind, e.actor])).toEqual([
        ["R1", "state", "dave"],
        ["R2", "state", "carol"],
        ["R1", "state", "bob"],
        ["R2", "definition", ACTOR],
        ["R1", "definition", ACTOR],
      ]);
      expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => b - a));
      expect((await store.history({ limit: 2 })).map((e) => e.actor)).toEqual(["dave", "carol"]);
      const third = all[2]?.seq as number;
      expect((await store.history({ limit: 100, before: third })).map((e) => e.seq)).toEqual(all.slice(3).map((e) => e.seq));
      expect((await store.history({ ruleId: "R1", limit: 100 })).map((e) => e.actor)).toEqual(["dave", "bob", ACTOR]);
      expect(all[2]).toMatchObject({ reason: null, autoRevert: false, after: expect.objectContaining({ state: "disabled", set_by: "bob" }) });
      expect((await store.history({ actor: "carol", limit: 100 })).map((e) => [e.ruleId, e.kind])).toEqual([["R2", "state"]]);
      expect((await store.history({ kind: "definition", limit: 100 })).map((e) => e.ruleId)).toEqual(["R2", "R1"]);
      expect((await store.history({ ruleId: "R1", kind: "state", actor: "bob", limit: 100 })).map((e) => e.actor)).toEqual(["bob"]);
      expect(await store.history({ autoRevert: true, limit: 100 })).toEqual([]);
      expect(await store.history({ autoRevert: false, limit: 100 })).toHaveLength(5);
    });
  });

  describe("bus and traces (§3.4)", () => {
    it("publishes ttp.rule.reloaded.<id> and ttp.rule.state.<id> with the documented payloads", async () => {
      const bus = new InProcessBus();
      const store = await target.create({ bus });
      await store.upsertRule(validRuleYaml("R1", { ruleVersion: 3 }), { actor: ACTOR });
      await store.setState("R1", { state: "disabled" }, "bob");
      await store.deleteRule("R1", { actor: ACTOR });
      await waitFor(() => bus.messages.length >= 3, 2000, "three bus messages");
      expect(bus.messages).toEqual([
        { topic: "ttp.rule.reloaded.R1", payload: { rule_id: "R1", rule_version: 3 } },
        { topic: "ttp.rule.state.R1", payload: { rule_id: "R1", state: "disabled", set_by: "bob" } },
        { topic: "ttp.rule.reloaded.R1", payload: { rule_id: "R1", deleted: true } },
      ]);
    });

    it("a failing bus never fails or blocks the write", async () => {
      let calls = 0;
      const bus: Bus = {
        publish: (topic) => {
          calls++;
          if (topic.includes("state")) return Promise.reject(new Error("bus down"));
          throw new Error("bus down");
        },
      };
      const store = await target.create({ bus });
      const rec = recordChanges(store.subscribeChanges());
      await store.upsertRule(validRuleYaml("R1"), { actor: ACTOR });
      expect((await store.setState("R1", { state: "disabled" }, ACTOR)).state).toBe("disabled");
      await store.deleteRule("R1", { actor: ACTOR });
      await waitFor(() => rec.events.length >= 3, 2000, "three changes");
      await rec.stop();
      expect(calls).toBe(3);
    });

    it("setState runs in ttp.rule.state.change with children ttp.store.write_state and ttp.rule.publish", async () => {
      const store = await storeWith(["R1"], { bus: new InProcessBus() });
      const recorder = installSpanRecorder();
      try {
        await store.setState("R1", { state: "disabled" }, "bob");
        await waitFor(() => recorder.spans.some((s) => s.name === "ttp.rule.publish" && s.ended), 2000, "publish span");
      } finally {
        recorder.uninstall();
      }
      const root = recorder.spans.find((s) => s.name === "ttp.rule.state.change");
      expect(root?.attributes).toMatchObject({ rule_id: "R1", state: "disabled", set_by: "bob" });
      expect(root?.parent).toBeNull();
      const children = recorder.spans.filter((s) => s.parent === root).map((s) => s.name);
      expect(children).toEqual(expect.arrayContaining(["ttp.store.write_state", "ttp.rule.publish"]));
      expect(recorder.spans.every((s) => s.ended)).toBe(true);
    });
  });
});
