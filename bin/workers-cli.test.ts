// `ttp workers`: the drift and noise report from a shell, a real OS process on a temporary SQLite
// file whose rows were written by the workers' own report code (WorkerDb).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { validRuleYaml } from "../lib/store/testing/fixtures";
import { WorkerDb, type WorkerReport } from "../lib/worker/worker-db";
import { runCli } from "./testing/run-cli";

const root = mkdtempSync(path.join(tmpdir(), "ttp-workers-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const now = () => new Date().toISOString();
const report = (over: Partial<WorkerReport>): WorkerReport => ({
  workerId: "w-1",
  role: "worker",
  hostname: "host",
  pid: 42,
  status: "ok",
  appliedSeq: 2,
  headSeq: 2,
  ruleCount: 2,
  eventsTotal: 1000,
  tagsTotal: 70,
  malformedTotal: 1,
  reportIntervalMs: 5000,
  inputKind: "file",
  natsStream: null,
  natsDurable: null,
  natsPending: null,
  startedAt: now(),
  lastSeenAt: now(),
  ...over,
});

describe("ttp workers", { timeout: 60_000 }, () => {
  it("prints each process's verdict and the noisiest rules; --check exits 1 while one needs attention", async () => {
    const url = `file:${path.join(root, "w.db")}`;
    const env = { DATABASE_URL: url, TTP_RULE_STORE: "database" };
    const store = new DatabaseRuleStore({ url, expiry: false });
    await store.upsertRule(validRuleYaml("R1"), { actor: "seed" });
    await store.upsertRule(validRuleYaml("R2"), { actor: "seed" });
    const head = await store.headSeq();
    await store.close();
    const db = new WorkerDb(url);
    try {
      await db.writeReport(report({ workerId: "w-1", appliedSeq: head }), [
        { ruleId: "R1", fires: 50, recentFires: 5, lastFiredAt: now() },
        { ruleId: "R2", fires: 3, recentFires: 0, lastFiredAt: now() },
      ]);
      await db.writeReport(report({ workerId: "w-2", appliedSeq: head - 1, inputKind: "nats", natsStream: "DECNET", natsDurable: "ttp-workers", natsPending: 42 }), [{ ruleId: "R2", fires: 100, recentFires: 1, lastFiredAt: now() }]);
    } finally {
      await db.close();
    }

    const json = await runCli(["workers", "--json"], { env });
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout) as { head_seq: number; workers: { worker_id: string; verdict: string; behind: number; input_kind: string; nats_stream: string | null; nats_durable: string | null; nats_pending: number | null }[]; noisy_rules: { rule_id: string; recent_fires: number; fires: number; workers: number }[] };
    expect(body.head_seq).toBe(head);
    expect(body.workers.map((w) => [w.worker_id, w.verdict, w.behind])).toEqual([
      ["w-1", "ok", 0],
      ["w-2", "behind", 1],
    ]);
    expect(body.workers.map((w) => [w.input_kind, w.nats_stream, w.nats_durable, w.nats_pending])).toEqual([
      ["file", null, null, null],
      ["nats", "DECNET", "ttp-workers", 42],
    ]);
    expect(body.noisy_rules.map((r) => [r.rule_id, r.recent_fires, r.fires, r.workers])).toEqual([
      ["R1", 5, 50, 1],
      ["R2", 1, 103, 2],
    ]);

    const check = await runCli(["workers", "--check"], { env });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^head seq \d+; 2 process\(es\) reported; 1 need attention\n/);
    expect(check.stderr).toBe("ttp workers: w-2 behind\n");
    expect(check.stdout).toMatch(/^w-2\tworker\tbehind\t.*\tinput nats DECNET\/ttp-workers, 42 pending\t/m);

    const db2 = new WorkerDb(url);
    try {
      await db2.writeReport(report({ workerId: "w-2", appliedSeq: head, status: "stopped" }), []);
    } finally {
      await db2.close();
    }
    const ok = await runCli(["workers", "--check"], { env });
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: "" });

    const bad = await runCli(["workers", "--noisy", "-"], { env });
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining("--noisy must be a whole number") });
    const fsStore = await runCli(["workers"], { env: { TTP_RULE_STORE: "filesystem", TTP_RULES_DIR: root } });
    expect(fsStore).toMatchObject({ code: 1, stderr: expect.stringContaining("TTP_RULE_STORE=database") });
  });
});
