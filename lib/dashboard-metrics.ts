import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The dashboard process's Prometheus metrics (served by app/api/metrics). */
export interface DashboardMetrics {
  registry: Registry;
  /** Every HTTP request: page, api, action (a server action: POST with a Next-Action header) or static. */
  requestSeconds: Histogram<"kind" | "method" | "route" | "status">;
  /** Open `/api/events` live streams (server-sent events). */
  liveStreams: Gauge;
  /** Failed sign-ins: `wrong_password` or `throttled`. */
  signInFailures: Counter<"reason">;
}

// One set per process: Next.js loads instrumentation.ts, route handlers and server actions as
// separate bundles, each with its own copy of this module.
const KEY = Symbol.for("ttp.dashboard.metrics");

/** The process's metrics, created (with Node's default process metrics) on first use. */
export function dashboardMetrics(): DashboardMetrics {
  const g = globalThis as unknown as Record<symbol, DashboardMetrics | undefined>;
  const existing = g[KEY];
  if (existing) return existing;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "ttp_dashboard_" });
  const metrics: DashboardMetrics = {
    registry,
    requestSeconds: new Histogram({
      name: "ttp_dashboard_http_request_duration_seconds",
      help: "HTTP requests to the dashboard by kind (page, api, action = server action, static), method, route and status, until the response ends",
      labelNames: ["kind", "method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    liveStreams: new Gauge({ name: "ttp_dashboard_live_streams", help: "Open /api/events live streams", registers: [registry] }),
    signInFailures: new Counter({ name: "ttp_dashboard_sign_in_failures_total", help: "Failed sign-ins by reason (wrong_password, throttled)", labelNames: ["reason"], registers: [registry] }),
  };
  g[KEY] = metrics;
  return metrics;
}

const TOP = new Set(["rules", "expiring", "activity", "workers", "users", "account", "login", "logout"]);

/**
 * A bounded label for a request path: ids become `:id` (rule pages and the HTTP API), static
 * assets one label per root, anything unknown `other` — scanners must not create new series.
 */
export function routeLabel(pathname: string): { kind: "page" | "api" | "static"; route: string } {
  const segs = pathname.split("/").filter((s) => s !== "");
  const first = segs[0] ?? "";
  if (first === "_next" || first === "monaco" || first === "favicon.ico") return { kind: "static", route: `/${first}` };
  if (first === "api") {
    const out: string[] = [];
    for (let i = 0; i < Math.min(segs.length, 6); i++) {
      const s = segs[i] as string;
      out.push(i > 0 && segs[i - 1] === "rules" && !/^(import|export)$/.test(s) ? ":id" : /^[a-z0-9-]{1,24}$/.test(s) ? s : ":id");
    }
    return { kind: "api", route: `/${out.join("/")}` };
  }
  if (first === "") return { kind: "page", route: "/" };
  if (!TOP.has(first)) return { kind: "page", route: "other" };
  if (first === "rules" && segs.length > 1) {
    const second = segs[1] as string;
    const rest = segs.length > 2 ? "/…" : "";
    return { kind: "page", route: second === "import-export" || second === "new-rule" ? `/rules/${second}` : `/rules/:id${rest}` };
  }
  return { kind: "page", route: `/${first}${segs.length > 1 ? "/…" : ""}` };
}

const PATCHED = Symbol.for("ttp.dashboard.http-patched");

/**
 * Times every request of every node:http server in this process (the one `next start` runs) from
 * its 'request' event to the end of its response, and counts open `/api/events` streams. Next.js
 * has no per-request hook for this; wrapping Server#emit is how OpenTelemetry's HTTP
 * instrumentation does it too. Idempotent.
 */
export function instrumentHttpServers(http: { Server: typeof Server }): void {
  const proto = http.Server.prototype as Server & Record<symbol, boolean | undefined>;
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const emit = proto.emit;
  const metrics = dashboardMetrics();
  proto.emit = function patchedEmit(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === "request") {
      try {
        track(metrics, args[0] as IncomingMessage, args[1] as ServerResponse);
      } catch {
        // Metrics must never break a request; a malformed URL is simply not measured.
      }
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof proto.emit;
}

function track(metrics: DashboardMetrics, req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now();
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const pathname = q < 0 ? url : url.slice(0, q);
  const label = routeLabel(pathname);
  const kind = req.headers["next-action"] !== undefined ? "action" : label.kind;
  const stream = pathname === "/api/events";
  if (stream) metrics.liveStreams.inc();
  let done = false;
  const end = (): void => {
    if (done) return;
    done = true;
    if (stream) metrics.liveStreams.dec();
    metrics.requestSeconds.observe({ kind, method: req.method ?? "GET", route: label.route, status: String(res.statusCode) }, (performance.now() - started) / 1000);
  };
  res.once("finish", end);
  res.once("close", end);
}
