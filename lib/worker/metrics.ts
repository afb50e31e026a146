import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Logger } from "../logger";
import type { WorkerState } from "./stats";

/**
 * Prometheus metrics of one worker or master process, read from its WorkerState at scrape time
 * (the hot path only bumps plain counters). Rates (events/s, tags/s) are `rate()` of the totals.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly propagation: Histogram;

  constructor(private readonly state: WorkerState) {
    const r = this.registry;
    const s = state;
    const id = s.identity;
    r.setDefaultLabels({ worker_id: id.workerId, role: id.role });
    collectDefaultMetrics({ register: r });

    const gauge = (name: string, help: string, value: () => number | null): void => {
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          const v = value();
          this.reset();
          if (v !== null) this.set(v);
        },
      });
    };
    const total = (name: string, help: string, value: () => number): void => {
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    };

    new Gauge({
      name: "ttp_worker_info",
      help: "Constant 1, labelled with the process's hostname and pid.",
      labelNames: ["hostname", "pid"],
      registers: [r],
      collect() {
        this.set({ hostname: id.hostname, pid: String(id.pid) }, 1);
      },
    });
    gauge("ttp_worker_rules_loaded", "Rules in the engine (worker) or in the rules directory (master).", () => s.rules);
    gauge("ttp_worker_applied_seq", "Newest change-feed seq applied to every engine of this process.", () => s.appliedSeq);
    gauge("ttp_worker_head_seq", "Newest change-feed seq in the database, as last probed.", () => s.headSeq);
    gauge("ttp_worker_lag_seq", "Changes in the database not yet applied here (head - applied).", () => s.lagSeq());
    gauge("ttp_worker_lag_seconds", "How long this process has been behind the database head (0 when caught up).", () => s.lagSeconds());
    gauge("ttp_worker_db_up", "1 when the database answered the last probe, else 0.", () => (s.dbUp ? 1 : 0));
    gauge("ttp_worker_healthy", "1 when /healthz says ok, 0.5 when stale, 0 on error.", () => {
      const st = s.health().status;
      return st === "ok" ? 1 : st === "stale" ? 0.5 : 0;
    });
    gauge("ttp_worker_db_tag_backlog", "Tags waiting to be written to ttp_tag.", () => s.dbTagBacklog);
    total("ttp_worker_events_total", "Well-formed events evaluated.", () => s.events);
    total("ttp_worker_tags_total", "Tags written to the sinks (at or above the confidence floor).", () => s.tags);
    total("ttp_worker_tags_below_floor_total", "Tags dropped by the sinks' confidence floor.", () => s.tagsBelowFloor);
    total("ttp_worker_malformed_events_total", "Input lines that were not a valid event (skipped).", () => s.malformed);
    total("ttp_worker_reloads_total", "Full rule reloads (start, resync, reconnect).", () => s.reloads);
    total("ttp_worker_match_cache_lookups_total", "Field values looked up in the engines' match caches (values up to 256 characters, while not bypassed).", () => s.matchCache.lookups);
    total("ttp_worker_match_cache_hits_total", "Match-cache lookups answered without running RE2.", () => s.matchCache.hits);
    total("ttp_worker_match_cache_bypassed_total", "Field values matched without the cache because it was missing most lookups (distinct traffic).", () => s.matchCache.bypassed);
    new Counter({
      name: "ttp_worker_changes_applied_total",
      help: "Rule changes hot-swapped into the engine, by kind.",
      labelNames: ["kind"],
      registers: [r],
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(s.changesApplied)) this.inc({ kind }, n);
      },
    });
    new Counter({
      name: "ttp_worker_analyzer_skipped_total",
      help: "Events an analyzer did not evaluate because a payload field it reads has the wrong type, by lifter kind.",
      labelNames: ["kind"],
      registers: [r],
      collect() {
        this.reset();
        for (const [kind, c] of s.analyzers) this.inc({ kind }, c.skipped);
      },
    });
    new Counter({
      name: "ttp_worker_analyzer_errors_total",
      help: "Analyzer predicates that failed on an event (contained to that rule and event), by lifter kind.",
      labelNames: ["kind"],
      registers: [r],
      collect() {
        this.reset();
        for (const [kind, c] of s.analyzers) this.inc({ kind }, c.errors);
      },
    });
    new Counter({
      name: "ttp_worker_rule_fires_total",
      help: "Events each rule fired on (before the confidence floor).",
      labelNames: ["rule_id"],
      registers: [r],
      collect() {
        this.reset();
        for (const [ruleId, n] of s.fires) this.inc({ rule_id: ruleId }, n);
      },
    });
    new Counter({
      name: "ttp_worker_nats_messages_total",
      help: "NATS input messages: received, acked (tags durably written or dead-lettered), redelivered (received again after AckWait or a crash).",
      labelNames: ["result"],
      registers: [r],
      collect() {
        this.reset();
        const n = s.nats;
        if (!n) return;
        this.inc({ result: "received" }, n.received);
        this.inc({ result: "acked" }, n.acked);
        this.inc({ result: "redelivered" }, n.redelivered);
      },
    });
    new Counter({
      name: "ttp_worker_nats_dead_letters_total",
      help: "NATS input messages republished to ttp.deadletter, by reason.",
      labelNames: ["reason"],
      registers: [r],
      collect() {
        this.reset();
        for (const [reason, n] of s.nats?.deadLettered ?? []) this.inc({ reason }, n);
      },
    });
    gauge("ttp_worker_nats_consumer_pending", "Messages the shared consumer has not delivered yet (num_pending, last consumer info).", () => s.nats?.pending ?? null);
    gauge("ttp_worker_nats_consumer_ack_pending", "Messages delivered to the group and not yet acknowledged (num_ack_pending).", () => s.nats?.ackPending ?? null);
    gauge("ttp_worker_nats_connected", "1 while NATS input flows, 0 while it is paused (NATS input only).", () => (s.nats ? (s.nats.pausedReason === null ? 1 : 0) : null));
    this.propagation = new Histogram({
      name: "ttp_worker_propagation_seconds",
      help: "From a change's commit time (its `at`) to its application here; includes clock skew between hosts.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [r],
    });
  }

  observePropagation(seconds: number): void {
    if (Number.isFinite(seconds)) this.propagation.observe(Math.max(0, seconds));
  }
}

export interface HttpEndpoint {
  port: number;
  close(): Promise<void>;
}

/** Serves GET /healthz (JSON; 200 ok/stale, 503 error) and GET /metrics (Prometheus text). */
export async function startHttpEndpoint(options: { port: number; host: string; state: WorkerState; metrics: WorkerMetrics; logger: Logger }): Promise<HttpEndpoint> {
  const { state, metrics, logger } = options;
  const server: Server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (url === "/healthz") {
      const body = state.health();
      res.writeHead(body.status === "error" ? 503 : 200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
      return;
    }
    if (url === "/metrics") {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          logger.error("collecting metrics failed", { error: err instanceof Error ? err.message : String(err) });
          res.writeHead(500).end();
        },
      );
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /healthz or /metrics\n");
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => logger.error("health/metrics server error", { error: err.message }));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
