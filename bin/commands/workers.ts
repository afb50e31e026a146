import { parseArgs } from "node:util";
import { DatabaseRuleStore } from "../../lib/store/database-store";
import { describeInput, noisyRules, workerViews, type WorkerView } from "../../lib/worker/drift";
import { WorkerDb } from "../../lib/worker/worker-db";
import { EXIT, UsageError } from "../cli-support";
import { WORKERS_USAGE } from "./usage";
import { parseEnv } from "../config";


/** `ttp workers`: the drift and noise report the workers write (SPEC §5), from a shell; `--check` for monitoring. */
export async function runWorkers(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" }, check: { type: "boolean" }, noisy: { type: "string" } }, allowPositionals: false });
  const limit = values.noisy === undefined ? 10 : Number(values.noisy);
  if (!Number.isInteger(limit) || limit < 0 || limit > 1000) throw new UsageError(`--noisy must be a whole number from 0 to 1000 (got "${values.noisy}"): ${WORKERS_USAGE}`);
  const env = parseEnv();
  if (env.TTP_RULE_STORE !== "database") throw new UsageError("workers report to the database: ttp workers needs TTP_RULE_STORE=database");
  const store = new DatabaseRuleStore({ url: env.DATABASE_URL, expiry: false });
  const db = new WorkerDb(env.DATABASE_URL);
  let views: WorkerView[];
  let noisy: ReturnType<typeof noisyRules>;
  let head: number;
  try {
    head = await store.headSeq();
    const [workers, stats] = await Promise.all([db.listWorkers(), db.listRuleStats()]);
    views = workerViews(workers, head, Date.now());
    noisy = noisyRules(stats, limit);
  } finally {
    await db.close();
    await store.close();
  }
  const attention = views.filter((w) => w.verdict !== "ok" && w.verdict !== "stopped");
  if (values.json) {
    process.stdout.write(
      JSON.stringify({
        head_seq: head,
        workers: views.map((w) => ({
          worker_id: w.workerId,
          role: w.role,
          verdict: w.verdict,
          status: w.status,
          applied_seq: w.appliedSeq,
          behind: w.lag,
          rules: w.ruleCount,
          events_total: w.eventsTotal,
          tags_total: w.tagsTotal,
          malformed_total: w.malformedTotal,
          input_kind: w.inputKind,
          nats_stream: w.natsStream,
          nats_durable: w.natsDurable,
          nats_pending: w.natsPending,
          last_seen_at: w.lastSeenAt,
          hostname: w.hostname,
          pid: w.pid,
        })),
        noisy_rules: noisy.map((r) => ({ rule_id: r.ruleId, recent_fires: r.recentFires, fires: r.fires, last_fired_at: r.lastFiredAt, workers: r.workers })),
      }) + "\n",
    );
  } else {
    process.stdout.write(`head seq ${head}; ${views.length} process(es) reported; ${attention.length} need attention\n`);
    for (const w of views) {
      process.stdout.write(`${w.workerId}\t${w.role}\t${w.verdict}\tapplied ${w.appliedSeq ?? "-"}\tbehind ${w.lag ?? "-"}\tevents ${w.eventsTotal}\ttags ${w.tagsTotal}\tinput ${describeInput(w)}\tlast ${w.lastSeenAt}\t${w.hostname}(${w.pid})\n`);
    }
    if (noisy.length > 0) {
      process.stdout.write("noisiest rules (fires in the last report interval, since start, workers):\n");
      for (const r of noisy) process.stdout.write(`${r.ruleId}\t${r.recentFires}\t${r.fires}\t${r.workers}\n`);
    }
  }
  // --check: for cron and monitoring — exit 1 when a process is behind, stale, in error or silent.
  if (values.check && attention.length > 0) {
    process.stderr.write(`ttp workers: ${attention.map((w) => `${w.workerId} ${w.verdict}`).join(", ")}\n`);
    return EXIT.invalid;
  }
  return EXIT.ok;
}
