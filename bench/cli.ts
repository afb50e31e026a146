// `npm run bench -- cli`: the shipped `bin/ttp` (one Node process on the esbuild bundle) — start-up
// against `node -e 0`, the cost of the telemetry switch, `ttp eval` end to end (start-up included)
// with and without threads beside a worker on the same input, and `ttp rules import` of 10,000
// generated rules into SQLite and PostgreSQL.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { createTestPgDatabase } from "../db/testing/pg";
import { startTelemetry } from "../lib/telemetry-sdk";
import { generatedRuleYamls } from "./corpus";
import { COMMAND_RULES_DIR } from "./engine";

const ROOT = path.resolve(__dirname, "..");
const TTP = path.join(ROOT, "bin/ttp");
const TSX = path.join(ROOT, "node_modules/tsx/dist/loader.mjs");

export interface CliBenchOptions {
  events: number;
  rules: number;
  runs: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

// GNU time reports the child's CPU time too: on a busy machine wall times swing, CPU times much less.
const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const TIME_MARK = "TTP-BENCH-TIME";

/** Wall time of one process from spawn to exit and its CPU time (user + system), in ms (stdout to a file or ignored). */
function timed(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; out?: string } = {}): Promise<{ ms: number; cpuMs: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const out = options.out ? openSync(options.out, "w") : "ignore";
    const [cmd, argv] = GNU_TIME ? [GNU_TIME, ["-f", `${TIME_MARK} %U %S`, process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(cmd, argv, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ["ignore", out, "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      if (typeof out === "number") closeSync(out);
      const m = new RegExp(`${TIME_MARK} ([\\d.]+) ([\\d.]+)\\n?$`).exec(stderr);
      const cpuMs = m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN;
      if (m) stderr = stderr.slice(0, m.index);
      resolve({ ms, cpuMs, code, stderr });
    });
  });
}

async function medianOf(n: number, args: string[], options: Parameters<typeof timed>[1] & { warmup?: boolean } = {}): Promise<{ median: number; cpu: number; all: number[] }> {
  const all: number[] = [];
  const cpu: number[] = [];
  const run = async (): Promise<Awaited<ReturnType<typeof timed>>> => {
    const r = await timed(args, options);
    if (r.code !== 0) throw new Error(`${args.join(" ")} exited with ${r.code}: ${r.stderr}`);
    return r;
  };
  // Not timed: the first run after a build writes the CLI's caches (V8 code cache, validated
  // rules), which every later run only reads.
  if (options.warmup) await run();
  for (let i = 0; i < n; i++) {
    const r = await run();
    all.push(r.ms);
    cpu.push(r.cpuMs);
  }
  return { median: median(all), cpu: median(cpu), all };
}

const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;

// A fixed CPU-bound workload in a fresh process (JSON.parse of the same 1.9 MB twenty times): this
// VM's speed drifts by a third or more from one minute to the next, and every figure here moves with
// it. Printed before the eval and after the import, so that two runs' figures can be compared.
const PROBE =
  'const a=[];for(let i=0;i<20000;i++)a.push({id:"e"+i,n:i,t:"x".repeat(i%50),o:{k:i%7}});const s=JSON.stringify(a);' +
  "const t=process.hrtime.bigint();let n=0;for(let r=0;r<20;r++)n+=JSON.parse(s).length;process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))";

function speedProbe(): string {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(process.execPath, ["-e", PROBE], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`speed probe: ${r.stderr}`);
    runs.push(Number(r.stdout));
  }
  return `VM speed probe (JSON.parse of a fixed 1.9 MB text 20 times, median of 3): ${fmt(median(runs))} (${runs.map(fmt).join(", ")}); the CPU-bound figures scale with it`;
}

export async function benchCli(options: Partial<CliBenchOptions> = {}): Promise<void> {
  const o: CliBenchOptions = { events: 600_000, rules: 10_000, runs: 5, ...options };
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`cli: bin/ttp (dist/cli bundle); load average ${load}`);
  const tmp = mkdtempSync(path.join(tmpdir(), "ttp-bench-cli-"));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_"))) as NodeJS.ProcessEnv;
  try {
    // The bundle is current before anything is timed.
    spawnSync(process.execPath, [TTP, "--help"], { stdio: "ignore" });

    // ------------------------------------------------------------ start-up
    const cwd = path.join(tmp, "home");
    mkdirSync(cwd);
    const sqliteEnv = { ...env, DATABASE_URL: "file:./data/ttp.db" };
    for (const args of [["db", "migrate"], ["rules", "import", path.join(ROOT, "rules/ttp"), "--by", "bench"]]) {
      const r = spawnSync(process.execPath, [TTP, ...args], { cwd, env: sqliteEnv, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`bin/ttp ${args.join(" ")}: ${r.stderr}`);
    }
    await medianOf(2, ["-e", "0"]);
    const node = await medianOf(o.runs, ["-e", "0"]);
    const help = await medianOf(o.runs, [TTP, "--help"], { env });
    const get = await medianOf(o.runs, [TTP, "state", "get", "R1001"], { cwd, env: sqliteEnv });
    const tsxHelp = await medianOf(3, ["--import", TSX, path.join(ROOT, "bin/ttp.ts"), "--help"], { env });
    const ratio = (a: { median: number; cpu: number }): string => `${(a.median / node.median).toFixed(2)}× node -e 0 (CPU ${fmt(a.cpu)} = ${(a.cpu / node.cpu).toFixed(2)}×)`;
    console.log(`node -e 0: median ${fmt(node.median)} of ${o.runs} (${node.all.map(fmt).join(", ")}), CPU ${fmt(node.cpu)}`);
    console.log(`bin/ttp --help: median ${fmt(help.median)} = ${ratio(help)} (target ≤ 3×)`);
    console.log(`bin/ttp state get R1001 (SQLite file:./data/ttp.db, 76 rules): median ${fmt(get.median)} = ${ratio(get)} (target ≤ 5×)`);
    console.log(`reference: node --import tsx bin/ttp.ts --help (the old path without npm and sh): median ${fmt(tsxHelp.median)} of 3, CPU ${fmt(tsxHelp.cpu)}`);

    // ------------------------------------------------------------ telemetry switch
    const calls = 1000;
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await startTelemetry(env, { serviceName: "bench", pid: process.pid, nodeVersion: process.versions.node });
    const offMs = (performance.now() - t0) / calls;
    const on = await medianOf(3, [TTP, "state", "get", "R1001"], {
      cwd,
      env: { ...sqliteEnv, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_BSP_EXPORT_TIMEOUT: "200", OTEL_EXPORTER_OTLP_TIMEOUT: "200" },
    });
    console.log(
      `telemetry with no OTEL_* variable: ${(offMs * 1000).toFixed(1)} µs per start (no module loaded; target ≤ 10 ms); ` +
        `with OTEL_EXPORTER_OTLP_ENDPOINT set (SDK loaded, export to a closed port): state get median ${fmt(on.median)}, CPU ${fmt(on.cpu)} (without: ${fmt(get.median)}, CPU ${fmt(get.cpu)})`,
    );

    // ------------------------------------------------------------ eval
    console.log(speedProbe());
    const events = path.join(tmp, "events.jsonl");
    const w = spawnSync(process.execPath, ["--import", TSX, path.join(ROOT, "bench/procs/write-events.mts"), events, String(o.events)], { encoding: "utf8" });
    if (w.status !== 0) throw new Error(`write-events: ${w.stderr}`);
    const mib = statSync(events).size / 2 ** 20;
    const out = path.join(tmp, "tags.jsonl");
    const rulesCount = readdirSync(COMMAND_RULES_DIR).filter((f) => f.endsWith(".yaml")).length;
    console.log(`eval: ${o.events} generated command events (${mib.toFixed(1)} MiB), ${rulesCount} rules of bench/fixtures/command-rules, tags to a file, wall time from spawn to exit (median of 5 after one untimed run)`);
    for (const threads of [0, 2]) {
      const r = await medianOf(5, [TTP, "eval", "--rules", COMMAND_RULES_DIR, "--events", events, "--threads", String(threads)], { env, out, warmup: true });
      const tags = statSync(out).size / 2 ** 20;
      console.log(`  ttp eval --threads ${threads}: ${fmt(r.median)} = ${Math.round(o.events / (r.median / 1000))} events/s end to end (runs ${r.all.map(fmt).join(", ")}; CPU ${fmt(r.cpu)}; ${tags.toFixed(1)} MiB of tags)`);
    }
    const fsEnv = { ...env, TTP_RULE_STORE: "filesystem", TTP_RULES_DIR: COMMAND_RULES_DIR, TTP_LOG_LEVEL: "warn" };
    for (const threads of [0, 2]) {
      const r = await medianOf(3, [TTP, "worker", "--role", "worker", "--events", events, "--out", "-", "--threads", String(threads), "--report-interval", "0"], { env: fsEnv, out, warmup: true });
      console.log(`  same input, ttp worker --threads ${threads} (filesystem rules, default floor 0.3): ${fmt(r.median)} = ${Math.round(o.events / (r.median / 1000))} events/s end to end (CPU ${fmt(r.cpu)})`);
    }

    // ------------------------------------------------------------ import
    const rulesDir = path.join(tmp, "rules");
    mkdirSync(rulesDir);
    for (const y of generatedRuleYamls(o.rules)) {
      const id = /^rule_id:\s*(\S+)/m.exec(y)?.[1] as string;
      writeFileSync(path.join(rulesDir, `${id}.yaml`), y);
    }
    // Each timed import goes into a new, empty database (median of 3); "again" re-imports the same files into the last one.
    const pgs: Awaited<ReturnType<typeof createTestPgDatabase>>[] = [];
    let dbFiles = 0;
    const targets: [string, () => Promise<string>][] = [
      ["SQLite", async () => `file:${path.join(tmp, `import-${dbFiles++}.db`)}`],
      [
        "PostgreSQL",
        async () => {
          const pg = await createTestPgDatabase();
          pgs.push(pg);
          return pg.url;
        },
      ],
    ];
    try {
      for (const [name, fresh] of targets) {
        const runs: Awaited<ReturnType<typeof timed>>[] = [];
        let url = "";
        for (let i = 0; i < 3; i++) {
          url = await fresh();
          const dbEnv = { ...env, DATABASE_URL: url };
          spawnSync(process.execPath, [TTP, "db", "migrate"], { env: dbEnv });
          const r = await timed([TTP, "rules", "import", rulesDir, "--by", "bench"], { env: dbEnv });
          if (r.code !== 0) throw new Error(`import into ${name}: ${r.stderr}`);
          runs.push(r);
        }
        const again = await timed([TTP, "rules", "import", rulesDir, "--by", "bench"], { env: { ...env, DATABASE_URL: url } });
        if (again.code !== 0) throw new Error(`import into ${name} again: ${again.stderr}`);
        const ms = runs.map((r) => r.ms);
        console.log(
          `ttp rules import of ${o.rules} generated rules into an empty ${name} database: median ${fmt(median(ms))} of 3 (${ms.map(fmt).join(", ")}; CPU ${fmt(median(runs.map((r) => r.cpuMs)))}; ` +
            `${runs[0]?.stderr.trim().split("\n").at(-1)}); again, all unchanged: ${fmt(again.ms)}`,
        );
      }
    } finally {
      for (const pg of pgs) await pg.drop();
    }
    console.log(speedProbe());
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
