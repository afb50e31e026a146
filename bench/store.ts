import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { createTestPgDatabase } from "../db/testing/pg";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { generatedRuleYamls } from "./corpus";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/loader.mjs");
const wallNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function summary(values: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Number(x.toFixed(2));
  return { p50: r(percentile(s, 50)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN), n: s.length };
}

async function seed(store: DatabaseRuleStore, count: number): Promise<string[]> {
  const yamls = generatedRuleYamls(count);
  const ids: string[] = [];
  for (const y of yamls) ids.push((await store.upsertRule(y, { actor: "bench" })).ruleId);
  return ids;
}

/** setState in this process → change seen by a tail in another OS process. */
async function propagation(url: string, ruleIds: string[], changes: number): Promise<ReturnType<typeof summary>> {
  const child: ChildProcess = spawn(process.execPath, ["--import", TSX, path.join(ROOT, "bench/procs/listener.mts"), url], { stdio: ["ignore", "pipe", "inherit"] });
  const received = new Map<number, number>();
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (line === "ready") return ready();
    const [seq, , at] = line.split(" ");
    received.set(Number(seq), Number(at));
  });
  await readyP;
  const writer = new DatabaseRuleStore({ url, expiry: false });
  await writer.ready();
  const sent = new Map<number, number>();
  for (let i = 0; i < changes; i++) {
    const ruleId = ruleIds[i % ruleIds.length] as string;
    const t = wallNow();
    await writer.setState(ruleId, i % 2 ? { state: "disabled", reason: "bench" } : { state: "clipped", confidence_max: 0.5 }, "bench");
    sent.set(await writer.headSeq(), t);
    await sleep(5);
  }
  const deadline = Date.now() + 10_000;
  while (received.size < sent.size && Date.now() < deadline) await sleep(20);
  child.kill("SIGTERM");
  await writer.close();
  const lat: number[] = [];
  for (const [seq, t] of sent) {
    const r = received.get(seq);
    if (r === undefined) throw new Error(`change ${seq} never reached the other process`);
    lat.push(r - t);
  }
  return summary(lat);
}

async function setStateLatency(url: string, ruleIds: string[], n: number): Promise<ReturnType<typeof summary>> {
  const store = new DatabaseRuleStore({ url, expiry: false });
  await store.ready();
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await store.setState(ruleIds[i % ruleIds.length] as string, { state: "disabled", reason: `bench ${i}` }, "bench");
    lat.push(performance.now() - t);
  }
  await store.close();
  return summary(lat);
}

/** Revert observed by a subscriber minus expires_at, for states expiring over a few seconds. */
async function expiryLateness(url: string, ruleIds: string[], n: number): Promise<ReturnType<typeof summary>> {
  const store = new DatabaseRuleStore({ url });
  await store.ready();
  const expiresAt = new Map<string, number>();
  const observed = new Map<string, number>();
  const controller = new AbortController();
  const sub = store.subscribeChanges({ signal: controller.signal });
  const consumer = (async () => {
    for await (const c of sub) {
      if (c.kind === "state" && c.autoRevert) observed.set(c.ruleId, wallNow());
      if (observed.size >= n) break;
    }
  })();
  const base = Date.now() + 1500;
  for (let i = 0; i < n; i++) {
    const ruleId = ruleIds[i] as string;
    const at = base + i * 37;
    expiresAt.set(ruleId, at);
    await store.setState(ruleId, { state: "disabled", expires_at: new Date(at).toISOString() }, "bench");
  }
  const deadline = Date.now() + 1500 + n * 37 + 10_000;
  while (observed.size < n && Date.now() < deadline) await sleep(50);
  controller.abort();
  await consumer.catch(() => undefined);
  await store.close();
  const late: number[] = [];
  for (const [id, at] of expiresAt) {
    const o = observed.get(id);
    if (o === undefined) throw new Error(`expiry of ${id} never observed`);
    late.push(o - at);
  }
  return summary(late);
}

/** loadCompiled in a fresh OS process (a worker starting up), median of three processes. */
async function loadCompiled10k(url: string): Promise<{ ms: number; rules: number; runs: number[] }> {
  const runs: { ms: number; rules: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", TSX, path.join(ROOT, "bench/procs/load.mts"), url], { stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      child.stdout.on("data", (d: Buffer) => (text += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`load process exited with ${code}`))));
    });
    runs.push(JSON.parse(out) as { ms: number; rules: number });
  }
  const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
  return { ms: Number((sorted[1] as number).toFixed(1)), rules: runs[0]?.rules ?? 0, runs: sorted.map((x) => Number(x.toFixed(1))) };
}

export async function benchStore(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  const dir = mkdtempSync(path.join(tmpdir(), "ttp-bench-store-"));
  const sqliteUrl = `file:${path.join(dir, "bench.db")}`;
  const pg = await createTestPgDatabase();
  try {
    for (const [name, url] of [["sqlite", sqliteUrl], ["postgres", pg.url]] as const) {
      const store = new DatabaseRuleStore({ url, expiry: false });
      await store.ready();
      const ids = await seed(store, 100);
      await store.close();
      const prop = await propagation(url, ids, 200);
      console.log(`${name}: propagation setState → other process (200 changes): p50 ${prop.p50} ms, p99 ${prop.p99} ms, max ${prop.max} ms`);
      const set = await setStateLatency(url, ids, 500);
      console.log(`${name}: setState latency (500 writes): p50 ${set.p50} ms, p99 ${set.p99} ms`);
      const exp = await expiryLateness(url, ids, 60);
      console.log(`${name}: expiry lateness (60 states expiring 37 ms apart): p50 ${exp.p50} ms, p99 ${exp.p99} ms, max ${exp.max} ms`);
      results[name] = { propagation: prop, setState: set, expiryLateness: exp };
    }
    for (const [name, url] of [["sqlite", `file:${path.join(dir, "load.db")}`], ["postgres", pg.url]] as const) {
      const store = new DatabaseRuleStore({ url, expiry: false });
      await store.ready();
      const t = performance.now();
      const existing = (await store.listRules()).length;
      if (existing < 10_000) await seed(store, 10_000);
      await store.close();
      const load = await loadCompiled10k(url);
      console.log(`${name}: loadCompiled of ${load.rules} rules in a fresh process: median ${load.ms} ms (runs ${load.runs.join(", ")} ms; seeding took ${((performance.now() - t) / 1000).toFixed(1)} s)`);
      (results[name] as Record<string, unknown>).loadCompiled = load;
    }
  } finally {
    await pg.drop();
  }
  return results;
}
