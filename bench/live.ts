// The console's live stream under many open tabs: `tabs` authenticated /api/events streams on
// `next start` (PostgreSQL) while another process's store writes `rate` changes/s. Prints the
// server process group's CPU (user+sys from /proc) and the change-feed reads PostgreSQL counted
// (index scans on ttp_change), each minus the same phase with no tab open.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { createTestPgDatabase } from "../db/testing/pg";
import { buildApp, startServer, ttp, ROOT, type AppServer } from "../e2e/support/app-server";
import { USERS } from "../e2e/support/users";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { generatedRuleYamls } from "./corpus";

export interface LiveBenchOptions {
  tabs?: number;
  /** Changes per second. */
  rate?: number;
  seconds?: number;
  build?: boolean;
}

const CLK_TCK = 100;
/** PostgreSQL 15 flushes a backend's table counters within 10 s of it going idle (PGSTAT_IDLE_INTERVAL). */
const PG_STATS_FLUSH_MS = 11_000;

/** app/_server/live.ts's hub keeps its feed subscription this long after the last tab leaves. */
const HUB_LINGER_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every process in the process group of the one listening on `port` (next start renames itself, so found by its socket). */
function serverPids(port: number): number[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const row of text.split("\n").slice(1)) {
      const f = row.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === "0A" && f[9]) inodes.add(f[9]);
    }
  }
  const procs: { pid: number; pgid: number }[] = [];
  let leaderPgid: number | null = null;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      procs.push({ pid: Number(name), pgid });
      if (leaderPgid === null) {
        for (const fd of readdirSync(`/proc/${name}/fd`)) {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${name}/fd/${fd}`));
          if (m?.[1] && inodes.has(m[1])) leaderPgid = pgid;
        }
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  if (leaderPgid === null) throw new Error(`no process listens on port ${port}`);
  return procs.filter((p) => p.pgid === leaderPgid).map((p) => p.pid);
}

/** user+sys CPU of the processes, in ms. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Exited: its CPU is no longer counted anywhere we can read.
    }
  }
  return (ticks * 1000) / CLK_TCK;
}

async function feedScans(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>("SELECT coalesce(sum(idx_scan + seq_scan), 0) AS n FROM pg_stat_user_tables WHERE relname = 'ttp_change'");
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

interface Tab {
  changes: number;
  connected: Promise<void>;
}

function openTab(baseURL: string, token: string, signal: AbortSignal): Tab {
  const tab: Tab = { changes: 0, connected: Promise.resolve() };
  tab.connected = (async () => {
    const res = await fetch(`${baseURL}/api/events`, { headers: { authorization: `Bearer ${token}` }, signal });
    if (res.status !== 200 || !res.body) throw new Error(`/api/events answered ${res.status}`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let connected!: () => void;
    const ready = new Promise<void>((r) => (connected = r));
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += decoder.decode(value, { stream: true });
          if (text.includes(": connected")) connected();
          let i: number;
          while ((i = text.indexOf("\n\n")) >= 0) {
            if (text.slice(0, i).includes("event: change")) tab.changes++;
            text = text.slice(i + 2);
          }
        }
      } catch {
        // Aborted at the end of the phase.
      }
    })();
    await ready;
  })();
  return tab;
}

interface Phase {
  tabs: number;
  changes: number;
  cpuMs: number;
  wallMs: number;
  scans: number;
  delivered: { min: number; max: number };
}

async function phase(server: AppServer, pids: number[], dbUrl: string, writer: DatabaseRuleStore, ids: string[], token: string, tabs: number, rate: number, seconds: number): Promise<Phase> {
  const abort = new AbortController();
  const open = Array.from({ length: tabs }, () => openTab(server.baseURL, token, abort.signal));
  await Promise.all(open.map((t) => t.connected));
  await sleep(2000);
  const scans0 = await feedScans(dbUrl);
  const cpu0 = cpuMs(pids);
  const started = performance.now();
  let n = 0;
  const total = rate * seconds;
  while (n < total) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const id = ids[n % ids.length] ?? "G00000";
    if (Math.floor(n / ids.length) % 2 === 0) await writer.setState(id, { state: "disabled", reason: "live bench" }, "bench");
    else await writer.clearState(id, "bench", "live bench");
    n++;
  }
  await sleep(1000);
  const wallMs = performance.now() - started;
  const cpu = cpuMs(pids) - cpu0;
  const counts = open.map((t) => t.changes);
  abort.abort();
  // Counters of connections that went idle reach pg_stat only after the flush interval.
  await sleep(PG_STATS_FLUSH_MS);
  const scans = (await feedScans(dbUrl)) - scans0;
  return { tabs, changes: n, cpuMs: cpu, wallMs, scans, delivered: { min: counts.length ? Math.min(...counts) : 0, max: counts.length ? Math.max(...counts) : 0 } };
}

export async function benchLive(options: LiveBenchOptions = {}): Promise<{ idle: Phase; open: Phase }> {
  const tabs = options.tabs ?? 50;
  const rate = options.rate ?? 10;
  const seconds = options.seconds ?? 20;
  const db = await createTestPgDatabase();
  let server: AppServer | null = null;
  const writer = new DatabaseRuleStore({ url: db.url, expiry: false });
  const onExit = (): void => server?.killNow();
  process.once("exit", onExit);
  try {
    await writer.ready();
    const yamls = generatedRuleYamls(50);
    await writer.upsertRules(yamls.map((yamlText) => ({ yamlText })), { actor: "bench" });
    const ids = (await writer.listRules()).map((r) => r.ruleId);
    await ttp(db.url, ["user", "add", USERS.admin.username, "--role", "admin", "--password-stdin"], USERS.admin.password);
    const token = (await ttp(db.url, ["token", "create", USERS.admin.username, "--label", "live bench"])).stdout.trim();
    if (options.build !== false) {
      const built = await buildApp();
      console.log(`live: next build in ${(built.ms / 1000).toFixed(1)} s`);
    }
    server = await startServer({ databaseUrl: db.url, logFile: path.join(ROOT, "bench/out/live-next-server.log") });
    const pids = serverPids(Number(new URL(server.baseURL).port));
    console.log(`live: next start (${ROOT}) on ${server.baseURL}, pids ${pids.join(",")}; PostgreSQL ${db.name}; ${rate} changes/s for ${seconds} s`);
    // Warm the server (services, compiled routes) before measuring.
    await phase(server, pids, db.url, writer, ids, token, 1, rate, 1);
    // A live hub outlives its last tab by 30 s: the no-tab phase starts after that.
    await sleep(HUB_LINGER_MS + 2000);
    const idle = await phase(server, pids, db.url, writer, ids, token, 0, rate, seconds);
    const open = await phase(server, pids, db.url, writer, ids, token, tabs, rate, seconds);
    const pct = (p: Phase): string => `${((p.cpuMs / p.wallMs) * 100).toFixed(1)} % of a core`;
    const perChange = (scans: number, changes: number): string => (scans / changes).toFixed(2);
    console.log(`(6) live stream, ${rate} changes/s for ${seconds} s (${idle.changes} and ${open.changes} changes):`);
    console.log(`    server CPU (user+sys): no tab ${Math.round(idle.cpuMs)} ms (${pct(idle)}); ${tabs} tabs ${Math.round(open.cpuMs)} ms (${pct(open)}); for the ${tabs} streams ${Math.round(open.cpuMs - idle.cpuMs)} ms`);
    console.log(
      `    ttp_change reads (PostgreSQL index scans): no tab ${idle.scans} (${perChange(idle.scans, idle.changes)}/change); ${tabs} tabs ${open.scans} (${perChange(open.scans, open.changes)}/change); for the ${tabs} streams ${perChange(open.scans - idle.scans * (open.changes / idle.changes), open.changes)} per change`,
    );
    console.log(`    changes received per tab: min ${open.delivered.min}, max ${open.delivered.max} of ${open.changes}`);
    return { idle, open };
  } finally {
    await server?.stop();
    await writer.close();
    await db.drop();
    process.off("exit", onExit);
  }
}
