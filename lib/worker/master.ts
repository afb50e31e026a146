import type { Logger } from "../logger";
import { DatabaseRuleStore } from "../store/database-store";
import { FilesystemRuleStore } from "../store/filesystem-store";
import { syncFromFilesystem, type FilesystemSync } from "../store/sync";
import { ChangePublisher } from "./change-publisher";
import { closeNats, natsClients, type NatsClients } from "./nats";
import { startHttpEndpoint, WorkerMetrics, type HttpEndpoint } from "./metrics";
import { Reporter } from "./report";
import { WorkerState } from "./stats";
import { errorMessage, retry } from "./util";
import { FIRES_PRUNE_BATCH, WorkerDb } from "./worker-db";

/** Per-minute fire rows older than this are deleted by the master. */
export const FIRES_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const FIRES_PRUNE_INTERVAL_MS = 10 * 60 * 1000;
/** Bounded deletes per prune tick; what is left waits for the next tick. */
const FIRES_PRUNE_MAX_BATCHES = 50;

/** Everything `ttp worker --role master` needs, already parsed and validated. */
export interface MasterConfig {
  workerId: string;
  hostname: string;
  pid: number;
  rulesDir: string;
  databaseUrl: string;
  reportIntervalMs: number;
  http: { port: number; host: string } | null;
  logger: Logger;
  probeIntervalMs?: number;
  /** How often the master deletes per-minute fire rows older than FIRES_RETENTION_MS (default 10 min; 0: never). */
  firesPruneIntervalMs?: number;
  onListening?: (port: number) => void;
  /** Publish every change to NATS (`ttp.rule.reloaded.<id>` / `ttp.rule.state.<id>`); null: no bus. */
  nats?: { url: string; stream: string; prefix: string } | null;
}

/**
 * The master: keeps the database equal to the rules directory (startup reconciliation, then
 * every file change, SPEC §3.2) and reverts expired states (its store runs the expiry sweeper).
 * Database outages are retried with capped backoff. Runs until stop().
 */
export class MasterRuntime {
  readonly state: WorkerState;
  private readonly abort = new AbortController();

  constructor(private readonly config: MasterConfig) {
    this.state = new WorkerState({ workerId: config.workerId, role: "master", hostname: config.hostname, pid: config.pid });
  }

  stop(): void {
    this.abort.abort();
  }

  async run(): Promise<number> {
    const c = this.config;
    const log = c.logger;
    const state = this.state;
    const signal = this.abort.signal;
    // Metrics (and prom-client's default collectors) only when something can scrape them.
    const metrics = c.http ? new WorkerMetrics(state) : null;
    let http: HttpEndpoint | null = null;
    let fsStore: FilesystemRuleStore | null = null;
    let db: DatabaseRuleStore | null = null;
    let reporter: Reporter | null = null;
    const workerDb = new WorkerDb(c.databaseUrl, { logger: log });
    let probe: ReturnType<typeof setInterval> | null = null;
    let prune: ReturnType<typeof setInterval> | null = null;
    let sync: FilesystemSync | null = null;
    let nats: NatsClients | null = null;
    let publishing: Promise<void> = Promise.resolve();
    try {
      if (c.http && metrics) {
        http = await startHttpEndpoint({ ...c.http, state, metrics, logger: log });
        c.onListening?.(http.port);
        log.info("serving /healthz and /metrics", { port: http.port, host: c.http.host });
      }
      fsStore = new FilesystemRuleStore({ dir: c.rulesDir, logger: log, watch: true });
      await fsStore.ready();
      db = new DatabaseRuleStore({ url: c.databaseUrl, logger: log, expiry: true });
      probe = this.startProbe(fsStore, db);
      prune = this.startFiresPrune(workerDb);
      if (c.nats) {
        nats = await natsClients(c.nats.url, `ttp-master-${c.workerId}`, log);
        const publisher = new ChangePublisher(nats, db, { stream: c.nats.stream, prefix: c.nats.prefix, logger: log, signal });
        publishing = publisher.run();
      }
      if (c.reportIntervalMs > 0) {
        reporter = new Reporter(workerDb, state, { intervalMs: c.reportIntervalMs, logger: log });
        reporter.start();
      }
      const source = fsStore;
      const target = db;
      if (!signal.aborted) {
        sync = await retry(() => syncFromFilesystem(source, target, { logger: log, signal }), {
          signal,
          onRetry: (err, attempt, delay) => {
            if (attempt === 1 || attempt % 10 === 0) {
              log.warn("reconciling the database with the rules directory failed; retrying", { attempt, delay_ms: delay, error: errorMessage(err) });
            }
          },
        }).catch((err: unknown) => {
          if (signal.aborted) return null;
          throw err;
        });
      }
      if (sync) {
        state.loaded = true;
        log.info("master ready: database reconciled with the rules directory; following it", {
          worker_id: c.workerId,
          dir: c.rulesDir,
          ...sync.reconciled,
        });
        await sync.done;
      }
      log.info("master stopped", { worker_id: c.workerId });
      return 0;
    } finally {
      this.abort.abort();
      if (probe) clearInterval(probe);
      if (prune) clearInterval(prune);
      await publishing;
      if (nats) {
        await closeNats(nats.nc).catch((err: unknown) => log.warn("closing the NATS connection failed", { error: errorMessage(err) }));
      }
      await sync?.stop();
      await reporter?.stop();
      await fsStore?.close().catch((err: unknown) => log.warn("closing the filesystem store failed", { error: errorMessage(err) }));
      await db?.close().catch((err: unknown) => log.warn("closing the database store failed", { error: errorMessage(err) }));
      await workerDb.close().catch((err: unknown) => log.warn("closing the worker database failed", { error: errorMessage(err) }));
      await http?.close();
    }
  }

  /** Deletes old `ttp_rule_fires_minute` rows at start and then every interval, in bounded batches. */
  private startFiresPrune(workerDb: WorkerDb): ReturnType<typeof setInterval> | null {
    const every = this.config.firesPruneIntervalMs ?? FIRES_PRUNE_INTERVAL_MS;
    if (every <= 0) return null;
    const log = this.config.logger;
    const signal = this.abort.signal;
    let running = false;
    const tick = async (): Promise<void> => {
      if (running) return;
      running = true;
      try {
        const before = Math.floor((Date.now() - FIRES_RETENTION_MS) / 60_000);
        let deleted = 0;
        for (let i = 0; i < FIRES_PRUNE_MAX_BATCHES && !signal.aborted; i++) {
          const n = await workerDb.pruneFiresBefore(before, FIRES_PRUNE_BATCH);
          deleted += n;
          if (n < FIRES_PRUNE_BATCH) break;
        }
        if (deleted > 0) log.info("pruned per-minute fire counts past the retention", { deleted, retention_days: FIRES_RETENTION_MS / 86_400_000 });
      } catch (err) {
        if (!signal.aborted) log.warn("pruning per-minute fire counts failed; retrying at the next interval", { error: errorMessage(err) });
      } finally {
        running = false;
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), every);
    timer.unref?.();
    return timer;
  }

  private startProbe(fsStore: FilesystemRuleStore, db: DatabaseRuleStore): ReturnType<typeof setInterval> {
    const state = this.state;
    const log = this.config.logger;
    let running = false;
    let wasUp: boolean | null = null;
    const tick = async (): Promise<void> => {
      if (running) return;
      running = true;
      try {
        state.rules = (await fsStore.loadCompiled()).rules.length;
        const head = await db.headSeq();
        // The master writes the changes: it is, by definition, at the head.
        state.setHead(head);
        state.setApplied(head);
        state.setDbUp(true);
        if (wasUp === false) log.info("database reachable again", {});
        wasUp = true;
      } catch (err) {
        state.setDbUp(false);
        if (wasUp !== false) log.warn("database unreachable; the sync retries with backoff", { error: errorMessage(err) });
        wasUp = false;
      } finally {
        running = false;
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), this.config.probeIntervalMs ?? 1000);
    timer.unref?.();
    return timer;
  }
}
