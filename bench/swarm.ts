import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { createTestPgDatabase } from "../db/testing/pg";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { COMMAND_RULES_DIR } from "./engine";
import { percentile } from "./store";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/loader.mjs");
const TTP = path.join(ROOT, "bin/ttp.ts");
const wallNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SwarmOptions {
  rulesDir: string;
  workers: number;
  changes: number;
  events: number;
  threads: number;
}

function summary(values: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Number(x.toFixed(2));
  return { p50: r(percentile(s, 50)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN), n: s.length };
}

/** A `ttp worker` child: JSON logs and "applied <seq> <ms>" lines from stderr. */
class Child {
  readonly proc: ChildProcess;
  readonly applied = new Map<number, number>();
  readonly logs: Record<string, unknown>[] = [];
  readonly spawnedAt = wallNow();
  exit: Promise<number | null>;
  private readyAt: number | null = null;

  constructor(args: string[], env: NodeJS.ProcessEnv, stdin: "pipe" | "ignore" = "pipe") {
    this.proc = spawn(process.execPath, ["--import", TSX, TTP, "worker", ...args], { cwd: ROOT, env, stdio: [stdin, "ignore", "pipe"] });
    this.exit = new Promise((resolve) => this.proc.on("close", (code) => resolve(code)));
    createInterface({ input: this.proc.stderr! }).on("line", (line) => {
      const m = /^applied (\d+) ([\d.]+)$/.exec(line);
      if (m) {
        this.applied.set(Number(m[1]), Number(m[2]));
        return;
      }
      if (!line.startsWith("{")) return;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        this.logs.push(entry);
        if (entry.level === "error") process.stderr.write(`worker error: ${line}\n`);
        if (this.readyAt === null && (entry.message === "worker ready" || String(entry.message).startsWith("master ready"))) this.readyAt = wallNow();
      } catch {
        // a partial line
      }
    });
  }

  async ready(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.readyAt === null) {
      if (Date.now() > deadline) throw new Error("a worker did not become ready");
      await sleep(10);
    }
    return this.readyAt - this.spawnedAt;
  }

  log(message: string): Record<string, unknown> | undefined {
    return this.logs.find((l) => l.message === message);
  }

  async stop(): Promise<number | null> {
    this.proc.kill("SIGTERM");
    return this.exit;
  }
}

/** setState in this process → "applied" printed by every one of N workers (p50/p99 of the slowest worker per change). */
async function propagation(name: string, url: string, o: SwarmOptions, tmp: string): Promise<Record<string, unknown>> {
  const rulesDir = path.join(tmp, `rules-${name}`);
  cpSync(o.rulesDir, rulesDir, { recursive: true });
  const env = { ...process.env, TTP_RULE_STORE: "database", TTP_RULES_DIR: rulesDir, DATABASE_URL: url, TTP_LOG_LEVEL: "warn" };
  const master = new Child(["--role", "master", "--id", `bench-master-${name}`], { ...env, TTP_LOG_LEVEL: "info" });
  await master.ready();
  const workers = Array.from({ length: o.workers }, (_, i) => new Child(["--role", "worker", "--id", `bench-${name}-${i}`, "--trace-applied", "-"], { ...env, TTP_LOG_LEVEL: "info" }));
  const startup = await Promise.all(workers.map((w) => w.ready()));
  const store = new DatabaseRuleStore({ url, expiry: false });
  await store.ready();
  const ruleIds = (await store.listRules()).map((r) => r.ruleId);
  const all: number[] = [];
  const each: number[] = [];
  try {
    for (let i = -10; i < o.changes; i++) {
      const ruleId = ruleIds[(i + 10) % ruleIds.length] as string;
      const t0 = wallNow();
      await store.setState(ruleId, i % 2 ? { state: "disabled", reason: "bench" } : { state: "clipped", confidence_max: 0.5 }, "bench");
      const seq = await store.headSeq();
      const deadline = Date.now() + 10_000;
      while (workers.some((w) => !w.applied.has(seq))) {
        if (Date.now() > deadline) throw new Error(`change ${seq} did not reach every worker within 10 s`);
        await sleep(1);
      }
      if (i < 0) continue; // warm-up
      const times = workers.map((w) => (w.applied.get(seq) as number) - t0);
      all.push(Math.max(...times));
      each.push(...times);
      await sleep(5);
    }
  } finally {
    await store.close();
    const codes = await Promise.all([...workers, master].map((w) => w.stop()));
    if (codes.some((c) => c !== 0)) process.stderr.write(`note: exit codes ${codes.join(", ")}\n`);
  }
  const everyWorker = summary(all);
  const oneWorker = summary(each);
  const start = summary(startup);
  console.log(
    `${name}: state change → applied by all ${o.workers} workers (${o.changes} changes): p50 ${everyWorker.p50} ms, p99 ${everyWorker.p99} ms, max ${everyWorker.max} ms` +
      ` (per worker p50 ${oneWorker.p50} ms, p99 ${oneWorker.p99} ms; worker start-up to ready p50 ${start.p50} ms)`,
  );
  return { everyWorker, oneWorker, startup: start };
}

/** One worker, JSON Lines file in → JSON Lines tag file out; start-up reported separately. */
async function throughput(url: string, o: SwarmOptions, tmp: string, threads: number, eventsFile: string): Promise<Record<string, unknown>> {
  const out = path.join(tmp, `tags-${threads}.jsonl`);
  rmSync(out, { force: true });
  // The kernel writing back the previous run's (or the generator's) dirty pages must not be billed to this run.
  spawnSync("sync");
  const env = { ...process.env, TTP_RULE_STORE: "database", DATABASE_URL: url, TTP_LOG_LEVEL: "info" };
  const w = new Child(["--role", "worker", "--id", `bench-throughput-${threads}`, "--events", eventsFile, "--out", out, "--threads", String(threads), "--report-interval", "0"], env, "ignore");
  const startupMs = await w.ready(120_000);
  const code = await w.exit;
  const endedAt = wallNow();
  if (code !== 0) throw new Error(`throughput worker exited with ${code}`);
  const finished = w.log("input finished") as { events: number; tags: number; seconds: number; events_per_second: number; cpu_seconds: number };
  const total = (endedAt - w.spawnedAt) / 1000;
  const result = {
    threads,
    events: finished.events,
    tags: finished.tags,
    seconds: finished.seconds,
    eventsPerSecond: finished.events_per_second,
    cpuSeconds: finished.cpu_seconds,
    startupMs: Math.round(startupMs),
    withStartupEventsPerSecond: Math.round(finished.events / total),
    outputMiB: Number((statSync(out).size / 2 ** 20).toFixed(1)),
  };
  console.log(
    `one worker, --threads ${threads}: ${result.events} events → ${result.tags} tags (${result.outputMiB} MiB JSON Lines) in ${result.seconds} s = ${result.eventsPerSecond} events/s end to end` +
      ` (start-up ${result.startupMs} ms excluded; ${result.withStartupEventsPerSecond} events/s including it; ${result.cpuSeconds} CPU s)`,
  );
  rmSync(out, { force: true });
  return result;
}

async function writeEvents(file: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, path.join(ROOT, "bench/procs/write-events.mts"), file, String(count)], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(Number(text.trim())) : reject(new Error(`write-events exited with ${code}`))));
  });
}

export async function benchSwarm(options: Partial<SwarmOptions> = {}): Promise<Record<string, unknown>> {
  const o: SwarmOptions = { rulesDir: COMMAND_RULES_DIR, workers: 8, changes: 200, events: 1_000_000, threads: 2, ...options };
  const rules = readdirSync(o.rulesDir).filter((f) => /^[A-Za-z0-9_]+\.ya?ml$/.test(f)).length;
  console.log(`swarm: 1 master + ${o.workers} workers, ${rules} rules from ${path.relative(ROOT, path.resolve(o.rulesDir)) || "."}; throughput over ${o.events} generated command events`);
  const results: Record<string, unknown> = {};
  const tmp = mkdtempSync(path.join(tmpdir(), "ttp-bench-swarm-"));
  const pg = await createTestPgDatabase();
  try {
    results.postgres = await propagation("postgres", pg.url, o, tmp);
    const sqliteUrl = `file:${path.join(tmp, "swarm.db")}`;
    results.sqlite = await propagation("sqlite", sqliteUrl, o, tmp);
    // The SQLite file now holds the rules (states cleared so every rule fires as written).
    const store = new DatabaseRuleStore({ url: sqliteUrl, expiry: false });
    for (const r of await store.listRules()) await store.clearState(r.ruleId, "bench");
    await store.close();
    const eventsFile = path.join(tmp, "events.jsonl");
    const t = performance.now();
    const bytes = await writeEvents(eventsFile, o.events);
    console.log(`generated ${o.events} events (${(bytes / 2 ** 20).toFixed(1)} MiB) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    // Three runs with --threads (the figure is their median: other processes on a small machine
    // move single runs by ±20%), one without threads for reference.
    const runs: Record<string, unknown>[] = [];
    const threaded: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await throughput(sqliteUrl, o, tmp, o.threads, eventsFile);
      runs.push(r);
      threaded.push(r.eventsPerSecond as number);
    }
    if (o.threads !== 0) runs.push(await throughput(sqliteUrl, o, tmp, 0, eventsFile));
    const sorted = [...threaded].sort((a, b) => a - b);
    console.log(`one worker, --threads ${o.threads}: median of 3 runs ${sorted[1]} events/s end to end (runs ${threaded.join(", ")})`);
    results.throughput = { medianEventsPerSecond: sorted[1], runs };
  } finally {
    await pg.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}
