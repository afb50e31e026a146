import type { Readable, Writable } from "node:stream";
import { parseDatabaseUrl } from "../../db/url";
import type { Engine } from "../engine/engine";
import type { Tag } from "../engine/types";
import { KNOWN_SOURCE_KINDS } from "../rules/types";
import { isTtpError } from "../errors";
import type { Logger } from "../logger";
import { DatabaseRuleStore } from "../store/database-store";
import { FilesystemRuleStore } from "../store/filesystem-store";
import type { RuleStore } from "../store/types";
import { EvalPool } from "./eval-pool";
import type { BlockResult, EvaluateOptions, TextBlock } from "./evaluate-block";
import { blockMemory, evaluateBlocks, INPUT_BYTES, READ_BYTES } from "./evaluate-stream";
import { Checkpoint } from "./checkpoint";
import { fileInput, InputControl, streamInput, type FilePosition } from "./input";
import { MalformedReporter } from "./malformed";
import { startHttpEndpoint, WorkerMetrics, type HttpEndpoint } from "./metrics";
import { Reporter } from "./report";
import { RuleFeed } from "./rule-feed";
import { closeNats, natsClients, type NatsClients } from "./nats";
import { NatsInput, type NatsInputSettings } from "./nats-input";
import { NatsTagSink } from "./nats-sink";
import { DbTagSink, JsonlSink } from "./sinks";
import { WalCheckpointer } from "./wal-checkpointer";
import { WorkerState } from "./stats";
import { errorMessage, wallNowMs } from "./util";
import { WorkerDb } from "./worker-db";
import { createWorkerEngine, type WorkerEngineOptions } from "./worker-engine";

export type WorkerInput =
  | { kind: "stream"; stream: Readable; name: string }
  | { kind: "file"; path: string; follow: boolean; fromEnd: boolean; checkpoint?: string | null }
  /** A durable pull consumer shared by the group (needs `nats`). */
  | ({ kind: "nats" } & NatsInputSettings);

export type RuleSource = { kind: "database"; url: string } | { kind: "filesystem"; dir: string };

/** Everything `ttp worker --role worker` needs, already parsed and validated (lib/ never reads the environment). */
export interface WorkerConfig {
  workerId: string;
  hostname: string;
  pid: number;
  rules: RuleSource;
  input: WorkerInput;
  /** JSON Lines tag output; `end` when the stream belongs to the worker (a file). Null: none. */
  jsonl: { stream: Writable; end: boolean } | null;
  /** Write tags to `ttp_tag` (database rule source only). */
  dbSink: boolean;
  /** NATS server(s) and subject prefix, for NATS input and/or the NATS sink. */
  nats?: { url: string; prefix: string } | null;
  /** Publish `ttp.tagged` / `ttp.rule.fired.<technique>` (needs `nats`). */
  natsSink?: boolean;
  minConfidence: number;
  /** Evaluation threads (0: evaluate on the main thread). */
  threads: number;
  /** Match-cache entries per generation of every engine (0: off; lib/engine/match-cache.ts). Default 4096. */
  matchCacheEntries?: number;
  /** TTP_ARTIFACTS_DIR: e-mail bodies may be read inside it (off when absent). */
  artifactsDir?: string;
  /** Drift report period; 0 disables it (database rule source only). */
  reportIntervalMs: number;
  /** /healthz and /metrics; null disables them. */
  http: { port: number; host: string } | null;
  /** Receives "applied <seq> <epoch-ms>" / "loaded <seq> <epoch-ms>" once a change is live in every engine. */
  traceApplied: ((line: string) => void) | null;
  logger: Logger;
  /** How often the database head is probed (lag, connectivity) (default 1000 ms). */
  probeIntervalMs?: number;
  /** After drain(), input still pending after this long is abandoned (default 10 s). */
  drainTimeoutMs?: number;
  /** How long closing keeps retrying to write buffered tags to an unreachable database (default 10 s). */
  flushTimeoutMs?: number;
  /** Behind the head for longer than this → /healthz says stale (default 10 s). */
  staleAfterMs?: number;
  /** Called once the HTTP endpoint listens (its actual port). */
  onListening?: (port: number) => void;
}

/** A running `--role worker` process body. `drain()` on SIGTERM, `stop()` on a second signal. */
export class WorkerRuntime {
  readonly state: WorkerState;
  private readonly control = new InputControl();
  private readonly feedAbort = new AbortController();
  /** Aborted by stop(): sinks that retry an unreachable server (NATS) give up; their messages are redelivered. */
  private readonly sinkAbort = new AbortController();
  private fatal: Error | null = null;
  private drainTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly config: WorkerConfig) {
    this.state = new WorkerState({
      workerId: config.workerId,
      role: "worker",
      hostname: config.hostname,
      pid: config.pid,
      ...(config.staleAfterMs === undefined ? {} : { staleAfterMs: config.staleAfterMs }),
    });
  }

  /** Finish the input that is already available, flush the sinks, exit. */
  drain(): void {
    if (this.control.draining) return;
    this.config.logger.info("draining: finishing the input already available, then flushing", { worker_id: this.config.workerId });
    this.control.drain();
    this.feedAbortIfNotLoaded();
    this.drainTimer = setTimeout(() => this.stop(), this.config.drainTimeoutMs ?? 10_000);
    this.drainTimer.unref?.();
  }

  /** Stop reading at once (pending output is still flushed). */
  stop(): void {
    this.control.stop();
    this.sinkAbort.abort();
    this.feedAbortIfNotLoaded();
  }

  /** Runs until the input ends (EOF without --follow) or drain()/stop(); resolves to the exit code. */
  async run(): Promise<number> {
    const c = this.config;
    const log = c.logger;
    const state = this.state;
    // Metrics (and prom-client's default collectors) only when something can scrape them.
    const metrics = c.http ? new WorkerMetrics(state) : null;
    let http: HttpEndpoint | null = null;
    let store: RuleStore | null = null;
    let workerDb: WorkerDb | null = null;
    let pool: EvalPool | null = null;
    let nats: NatsClients | null = null;
    let reporter: Reporter | null = null;
    let probe: ReturnType<typeof setInterval> | null = null;
    let feedDone: Promise<void> = Promise.resolve();
    let exitCode = 0;
    let startupError: unknown = null;
    try {
      if (c.http && metrics) {
        http = await startHttpEndpoint({ ...c.http, state, metrics, logger: log });
        c.onListening?.(http.port);
        log.info("serving /healthz and /metrics", { port: http.port, host: c.http.host });
      }
      if (c.rules.kind === "database") {
        // Expiry off: the master's store reverts expired states; the engine applies expiry by itself.
        store = new DatabaseRuleStore({ url: c.rules.url, logger: log, expiry: false });
        workerDb = new WorkerDb(c.rules.url, { logger: log });
      } else {
        const fsStore = new FilesystemRuleStore({ dir: c.rules.dir, logger: log, watch: true });
        store = fsStore;
        await fsStore.ready();
      }
      const evalOptions: EvaluateOptions = { minConfidence: c.minConfidence, jsonl: c.jsonl !== null, rows: c.dbSink || c.natsSink === true };
      const engineOptions: WorkerEngineOptions = {
        ...(c.matchCacheEntries === undefined ? {} : { matchCacheEntries: c.matchCacheEntries }),
        ...(c.artifactsDir === undefined ? {} : { artifactsDir: c.artifactsDir }),
      };
      const engine = createWorkerEngine(engineOptions);
      if (c.threads > 0) pool = new EvalPool(c.threads, evalOptions, (err) => this.onFatal(err), INPUT_BYTES, engineOptions);
      const feed = new RuleFeed({
        store,
        engine,
        pool,
        state,
        logger: log,
        signal: this.feedAbort.signal,
        onApplied: (what, seq, change) => {
          if (change) metrics?.observePropagation((Date.now() - Date.parse(change.at)) / 1000);
          c.traceApplied?.(`${what} ${seq ?? "-"} ${wallNowMs().toFixed(3)}`);
        },
      });
      feedDone = feed.run();
      probe = this.startProbe(store);
      if (workerDb && c.reportIntervalMs > 0) {
        reporter = new Reporter(workerDb, state, { intervalMs: c.reportIntervalMs, logger: log });
        reporter.start();
      }
      if (c.nats && (c.input.kind === "nats" || c.natsSink)) {
        // After the rule feed started: rules stay current from the database while NATS is unreachable.
        const connecting = natsClients(c.nats.url, `ttp-worker-${c.workerId}`, log);
        const connected = await Promise.race([connecting, this.stopped().then(() => null)]);
        if (!connected) {
          void connecting.then((n) => n.nc.close(), () => undefined);
          throw new Error("stopped before NATS was reachable");
        }
        nats = connected;
        log.info("connected to NATS", { server: nats.nc.getServer() });
      }
      const first = await Promise.race([feed.loaded.then(() => true), this.stopped().then(() => false)]);
      if (!first) {
        log.warn("stopping before the first rule snapshot was loaded; no input was read");
      } else {
        log.info("worker ready", { worker_id: c.workerId, rules: state.rules, applied_seq: state.appliedSeq, threads: c.threads });
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        exitCode = await this.consume(engine, pool, evalOptions, workerDb, nats);
        const cpu = process.cpuUsage(cpu0);
        const seconds = (performance.now() - t0) / 1000;
        log.info("input finished", {
          events: state.events,
          tags: state.tags,
          malformed: state.malformed,
          below_floor: state.tagsBelowFloor,
          match_cache: { ...state.matchCache },
          seconds: Number(seconds.toFixed(3)),
          events_per_second: seconds > 0 ? Math.round(state.events / seconds) : null,
          cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
        });
      }
    } catch (err) {
      state.fatal = errorMessage(err);
      exitCode = 2;
      // A configuration problem found at start (e.g. no such rules directory) is the caller's to report.
      if (isTtpError(err) && (err.code === "NOT_FOUND" || err.code === "VALIDATION")) startupError = err;
      else log.error("worker failed", { error: errorMessage(err) });
    } finally {
      if (this.drainTimer) clearTimeout(this.drainTimer);
      if (probe) clearInterval(probe);
      this.feedAbort.abort();
      await feedDone;
      await reporter?.stop();
      await pool?.close();
      await store?.close().catch((err: unknown) => log.warn("closing the rule store failed", { error: errorMessage(err) }));
      await workerDb?.close().catch((err: unknown) => log.warn("closing the worker database failed", { error: errorMessage(err) }));
      await http?.close();
      if (nats) {
        // Acknowledgements are fire-and-forget: flush them before closing.
        await closeNats(nats.nc).catch((err: unknown) => log.warn("closing the NATS connection failed", { error: errorMessage(err) }));
      }
    }
    if (startupError !== null) throw startupError;
    if (this.fatal && exitCode === 0) exitCode = 2;
    return exitCode;
  }

  private async consume(engine: Engine, pool: EvalPool | null, evalOptions: EvaluateOptions, workerDb: WorkerDb | null, nats: NatsClients | null): Promise<number> {
    const c = this.config;
    const log = c.logger;
    const state = this.state;
    const source = c.input.kind === "stream" ? c.input.name : c.input.kind === "file" ? c.input.path : `nats:${c.input.stream}/${c.input.durable}`;
    const malformed = new MalformedReporter({ source, logger: log });
    const flushMalformed = setInterval(() => malformed.flush(), 10_000);
    flushMalformed.unref?.();
    const jsonl = c.jsonl ? new JsonlSink(c.jsonl.stream, { end: c.jsonl.end }) : null;
    const dbSink =
      c.dbSink && workerDb
        ? new DbTagSink(workerDb, {
            workerId: c.workerId,
            logger: log,
            onBacklog: (n) => (state.dbTagBacklog = n),
          })
        : null;
    // SQLite file: WAL checkpoints on a helper thread instead of inside the sink's transactions.
    const dbTarget = dbSink && c.rules.kind === "database" ? parseDatabaseUrl(c.rules.url) : null;
    const checkpointer = dbTarget?.dialect === "sqlite" && !dbTarget.memory ? new WalCheckpointer(dbTarget.path, { logger: log }) : null;
    // Block memory is reused: input blocks come back from the threads (or right after a
    // main-thread evaluation), output buffers once the sink has written them.
    const memory = blockMemory(pool);
    const ioOptions = { control: this.control, logger: log, alloc: (n: number) => memory.input.take(n), blockBytes: READ_BYTES };
    const natsSinkAbort = new AbortController();
    this.sinkAbort.signal.addEventListener("abort", () => natsSinkAbort.abort(), { once: true });
    const natsSink = c.natsSink && nats ? new NatsTagSink(nats.js, c.nats?.prefix ?? "", log, natsSinkAbort.signal) : null;
    let natsInput: NatsInput | null = null;
    if (c.input.kind === "nats") {
      if (!nats) throw new Error("NATS input needs a NATS connection");
      const known = new Set<string>(KNOWN_SOURCE_KINDS);
      natsInput = new NatsInput(nats, c.input, {
        control: this.control,
        logger: log,
        alloc: (n) => (n <= INPUT_BYTES ? memory.input.take(n) : Buffer.allocUnsafeSlow(n)),
        usableKind: (kind) => known.has(kind) || engine.rules().some((r) => r.appliesTo.has(kind)),
        text: pool !== null,
      });
      state.nats = natsInput.stats;
      state.natsSource = { stream: c.input.stream, durable: c.input.durable };
    }
    state.inputKind = c.input.kind === "nats" ? "nats" : c.input.kind === "stream" && c.input.name === "<stdin>" ? "stdin" : "file";
    const checkpoint = c.input.kind === "file" && c.input.checkpoint ? new Checkpoint(c.input.checkpoint, log) : null;
    const input =
      c.input.kind === "stream"
        ? streamInput(c.input.stream, ioOptions)
        : c.input.kind === "file"
          ? fileInput(c.input.path, {
              ...ioOptions,
              follow: c.input.follow,
              fromEnd: c.input.fromEnd,
              ...(checkpoint ? { resumeAt: checkpoint.load(), onBlock: (b: TextBlock, at: FilePosition) => checkpoint.track(b, at) } : {}),
            })
          : (natsInput as NatsInput).blocks();
    // Acknowledgements wait for the sinks' durable writes without holding up the next block (the
    // NATS input bounds the messages held; this bounds the blocks).
    const settling = new Set<Promise<void>>();
    const MAX_SETTLING = 256;
    const hardStop = new Promise<void>((resolve) => {
      if (this.control.stopped) return resolve();
      const off = this.control.onChange(() => {
        if (!this.control.stopped) return;
        off();
        resolve();
      });
    });
    const settleAfterDurable = async (block: TextBlock, rows: Tag[] | null): Promise<void> => {
      const input: { settle(b: TextBlock): void } | null = natsInput ?? checkpoint;
      if (!input) return;
      const waits: Promise<unknown>[] = [];
      if (jsonl) waits.push(jsonl.flushed());
      if (dbSink && rows && rows.length > 0) waits.push(dbSink.durable());
      if (natsSink && rows && rows.length > 0) waits.push(natsSink.publish(rows));
      const p: Promise<void> = Promise.all(waits).then(
        () => input.settle(block),
        (err: unknown) => log.warn("tags of a block were not written; its messages are left for redelivery", { error: errorMessage(err) }),
      );
      settling.add(p);
      void p.finally(() => settling.delete(p));
      while (settling.size >= MAX_SETTLING && !this.control.stopped) await Promise.race([...settling, hardStop]);
    };

    let linesBefore = 0;
    const handle = async (r: BlockResult, restart: boolean | undefined, block?: TextBlock): Promise<void> => {
      if (restart) linesBefore = 0;
      if (r.malformedSamples.length > 0) for (const m of r.malformedSamples) m.line += linesBefore;
      linesBefore += r.lines;
      state.events += r.events;
      state.tags += r.tags;
      state.tagsBelowFloor += r.belowFloor;
      state.malformed += r.malformed;
      state.addMatchCache(r.matchCache);
      if (r.analyzers.length > 0) state.addAnalyzers(r.analyzers);
      for (const f of r.analyzerFailures) log.warn("analyzer failed on an event; its other rules' tags were kept", { rule_id: f.ruleId, kind: f.kind, error: f.message });
      if (r.fires.length > 0) state.addFires(r.fires, Date.now());
      malformed.report(r.malformed, r.malformedSamples);
      if (jsonl && r.jsonl.length > 0) {
        const bytes = r.jsonl;
        await jsonl.write(bytes, () => memory.release(bytes));
      }
      if (dbSink && r.rows && r.rows.length > 0) await dbSink.write(r.rows);
      if (block) await settleAfterDurable(block, r.rows);
    };

    let code = 0;
    try {
      await evaluateBlocks(input, {
        engine,
        pool,
        evaluate: evalOptions,
        memory,
        handle,
        // NATS and checkpointed input settle a block (ack / persist its position) once its tags are durable.
        ownBlocks: natsInput !== null || checkpoint !== null,
        // NATS input on this thread carries parsed events (no JSON round trip); with threads it is text.
        ...(natsInput ? { eventsOf: natsInput.eventsOf.bind(natsInput) } : {}),
        stopped: () => this.fatal !== null,
      });
    } catch (err) {
      log.error("processing events failed", { error: errorMessage(err) });
      state.fatal = errorMessage(err);
      code = 2;
    }
    // Blocks still waiting for a sink (database or NATS down) are left unacknowledged: redelivered later.
    let settleTimer: ReturnType<typeof setTimeout> | null = null;
    await Promise.race([Promise.all(settling), new Promise<void>((resolve) => (settleTimer = setTimeout(resolve, c.flushTimeoutMs ?? 10_000)))]);
    if (settleTimer) clearTimeout(settleTimer);
    if (settling.size > 0) log.warn("stopping with blocks whose tags are not yet written; their messages will be redelivered", { blocks: settling.size });
    natsSinkAbort.abort();
    natsInput?.close();
    checkpoint?.close();
    clearInterval(flushMalformed);
    malformed.flush();
    try {
      await jsonl?.close();
    } catch (err) {
      log.error("flushing the tag output failed", { error: errorMessage(err) });
      code = 2;
    }
    if (dbSink) {
      const left = await dbSink.close(Date.now() + (c.flushTimeoutMs ?? 10_000));
      if (left > 0) {
        log.error("tags could not be written to the database before exit", { count: left });
        code = 2;
      }
    }
    await checkpointer?.stop();
    natsSinkAbort.abort();
    return code;
  }

  private startProbe(store: RuleStore): ReturnType<typeof setInterval> {
    const state = this.state;
    const db = store.durableFeed ? store : null;
    let running = false;
    const tick = async (): Promise<void> => {
      if (running) return;
      running = true;
      try {
        if (!db) {
          state.setDbUp(true);
          if (state.appliedSeq !== null) state.setHead(state.appliedSeq);
          return;
        }
        const head = await db.headSeq();
        if (!state.dbUp) this.config.logger.info("database reachable", {});
        state.setDbUp(true);
        state.setHead(head);
      } catch (err) {
        if (state.dbUp || state.dbDownSinceMs === null) {
          this.config.logger.warn("database unreachable; evaluating with the rules already loaded and retrying", { error: errorMessage(err) });
        }
        state.setDbUp(false);
        if (state.dbDownSinceMs === null) state.dbDownSinceMs = Date.now();
      } finally {
        running = false;
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), this.config.probeIntervalMs ?? 1000);
    timer.unref?.();
    return timer;
  }

  private stopped(): Promise<void> {
    if (this.control.draining) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.control.onChange(() => {
        off();
        resolve();
      });
    });
  }

  private feedAbortIfNotLoaded(): void {
    if (!this.state.loaded) this.feedAbort.abort();
  }

  private onFatal(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.state.fatal = err.message;
    this.config.logger.error("fatal worker error; stopping", { error: err.message });
    this.control.stop();
  }
}
