import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../engine/engine";
import { silentLogger } from "../logger";
import { DatabaseRuleStore } from "../store/database-store";
import { FilesystemRuleStore } from "../store/filesystem-store";
import { validRuleYaml, waitFor } from "../store/testing/fixtures";
import type { RuleChange } from "../store/types";
import { EvalPool } from "./eval-pool";
import type { EvaluateOptions } from "./evaluate-block";
import { RuleFeed } from "./rule-feed";
import { WorkerState } from "./stats";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const options: EvaluateOptions = { minConfidence: 0.3, jsonl: false, rows: true };
const event = (command: string) => Buffer.from(JSON.stringify({ source_kind: "command", source_id: command, payload: { command_text: command } }) + "\n");

function start(store: DatabaseRuleStore | FilesystemRuleStore, pool: EvalPool | null, maxBuffered?: number) {
  const engine = new Engine();
  const state = new WorkerState({ workerId: "t", role: "worker", hostname: "h", pid: 1 });
  const applied: { what: string; seq: number | null; kind: string | null }[] = [];
  const abort = new AbortController();
  const feed = new RuleFeed({
    store,
    engine,
    pool,
    state,
    logger: silentLogger,
    signal: abort.signal,
    ...(maxBuffered === undefined ? {} : { maxBuffered }),
    onApplied: (what, seq, change: RuleChange | null) => applied.push({ what, seq, kind: change?.kind ?? null }),
  });
  const done = feed.run();
  cleanups.push(async () => {
    abort.abort();
    await done;
  });
  return { engine, state, applied, feed };
}

describe("RuleFeed", () => {
  it("loads, then hot-swaps every later change once and in order into the engine and every evaluation thread", async () => {
    const store = new DatabaseRuleStore();
    cleanups.push(() => store.close());
    await store.upsertRule(validRuleYaml("R1", { pattern: "uname" }), { actor: "t" });
    await store.upsertRule(validRuleYaml("R2", { pattern: "wget" }), { actor: "t" });
    const pool = new EvalPool(2, options, (err) => {
      throw err;
    }, 64 * 1024);
    cleanups.push(() => pool.close());
    const { engine, state, applied, feed } = start(store, pool);
    await feed.loaded;
    const fired = async (command: string): Promise<string[][]> => {
      const results = await Promise.all([pool.submit({ bytes: event(command) }), pool.submit({ bytes: event(command) })]);
      const main = engine
        .evaluate({ source_kind: "command", source_id: "x", payload: { command_text: command } })
        .filter((t) => t.confidence >= options.minConfidence)
        .map((t) => t.rule_id);
      return [main, ...results.map((r) => (r.rows ?? []).map((t) => t.rule_id))];
    };
    const settle = async (): Promise<void> => {
      const head = await store.headSeq();
      await waitFor(() => state.appliedSeq === head, 3000, `applied seq ${head}`);
    };
    expect(await fired("uname; wget")).toEqual([["R1", "R2"], ["R1", "R2"], ["R1", "R2"]]);

    await store.upsertRule(validRuleYaml("R3", { pattern: "curl" }), { actor: "t" });
    await store.setState("R1", { state: "disabled" }, "t");
    await store.deleteRule("R2", { actor: "t" });
    await store.setState("R3", { state: "clipped", confidence_max: 0.1 }, "t");
    await settle();
    expect(await fired("uname; wget; curl")).toEqual([[], [], []]);
    await store.clearState("R3", "t");
    await settle();
    expect(await fired("uname; wget; curl")).toEqual([["R3"], ["R3"], ["R3"]]);
    expect(state.rules).toBe(2);

    const history = (await store.history({ limit: 100 })).map((e) => e.seq).reverse();
    expect(applied[0]).toEqual({ what: "loaded", seq: 2, kind: null });
    expect(applied.slice(1).map((a) => a.seq)).toEqual(history.slice(2));
    expect(applied.slice(1).map((a) => a.kind)).toEqual(["definition", "state", "deleted", "state", "state"]);
  });

  it("reloads everything when it falls too far behind the feed (resync marker)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ttp-feed-resync-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const url = `file:${path.join(dir, "r.db")}`;
    const writer = new DatabaseRuleStore({ url, expiry: false });
    cleanups.push(() => writer.close());
    for (const id of ["R1", "R2"]) await writer.upsertRule(validRuleYaml(id), { actor: "t" });
    // The reader sees other connections' commits every 300 ms: a burst of writes arrives at once.
    const reader = new DatabaseRuleStore({ url, expiry: false, pollIntervalMs: 300 });
    cleanups.push(() => reader.close());
    const { engine, state, applied, feed } = start(reader, null, 2);
    await feed.loaded;
    for (let i = 0; i < 20; i++) await writer.setState(i % 2 ? "R1" : "R2", { state: i % 3 ? "disabled" : "enabled" }, "t");
    await writer.upsertRule(validRuleYaml("R3"), { actor: "t" });
    const head = await writer.headSeq();
    await waitFor(() => state.appliedSeq === head, 5000, `applied seq ${head}`);
    expect(state.reloads).toBeGreaterThan(1);
    expect(applied.filter((a) => a.what === "loaded").length).toBe(state.reloads);
    expect(engine.rules().map((r) => [r.ruleId, r.state.state])).toEqual([
      ["R1", "disabled"],
      ["R2", "enabled"],
      ["R3", "enabled"],
    ]);
  });

  it("follows a filesystem store through its subscription (subscribe, load, skip what the load included)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ttp-feed-fs-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, "R1.yaml"), validRuleYaml("R1"));
    const store = new FilesystemRuleStore({ dir, stabilityMs: 20 });
    cleanups.push(() => store.close());
    await store.ready();
    const { engine, applied, feed } = start(store, null);
    await feed.loaded;
    expect(engine.rules().map((r) => r.ruleId)).toEqual(["R1"]);
    await writeFile(path.join(dir, "R2.yaml"), validRuleYaml("R2"));
    await waitFor(() => engine.get("R2"), 5000, "R2 installed");
    await unlink(path.join(dir, "R1.yaml"));
    await waitFor(() => engine.get("R1") === undefined, 5000, "R1 deleted");
    expect(applied.map((a) => a.kind)).toEqual([null, "definition", "deleted"]);
  });
});
