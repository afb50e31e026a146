import type { Logger } from "../logger";
import { DatabaseRuleStore } from "../store/database-store";
import { FilesystemRuleStore } from "../store/filesystem-store";
import { syncFromFilesystem, type FilesystemSync } from "../store/sync";
import { ChangePublisher } from "./change-publisher";
import { closeNats, natsClients, type NatsClients } from "./nats";
import { startHttpEndpoint, WorkerMetrics, type HttpEndpoint } from "./metrics";
import { Reporter } from "./report";
import { WorkerState } from "./stats";
import { backoffMs, errorMessage, sleep } from "./util";
import { WorkerDb } from "./worker-db";

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
      if (c.nats) {
        nats = await natsClients(c.nats.url, `ttp-master-${c.workerId}`, log);
        const publisher = new ChangePublisher(nats, db, { stream: c.nats.stream, prefix: c.nats.prefix, logger: log, signal });
        publishing = publisher.run();
      }
      if (c.reportIntervalMs > 0) {
        reporter = new Reporter(workerDb, state, { intervalMs: c.reportIntervalMs, logger: log });
        reporter.start();
      }
      for (let failures = 1; !signal.aborted; failures++) {
        try {
          sync = await syncFromFilesystem(fsStore, db, { logger: log, signal });
          break;
        } catch (err) {
          if (signal.aborted) break;
          const delay = backoffMs(failures);
          if (failures === 1 || failures % 10 === 0) {
            log.warn("reconciling the database with the rules directory failed; retrying", { attempt: failures, delay_ms: delay, error: errorMessage(err) });
          }
          await sleep(delay, signal);
        }
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
