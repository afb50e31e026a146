import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { dashboardMetrics, instrumentHttpServers, routeLabel } from "./dashboard-metrics";

describe("dashboard metrics", () => {
  it("labels routes with bounded cardinality", () => {
    expect(routeLabel("/rules/R1001")).toEqual({ kind: "page", route: "/rules/:id" });
    expect(routeLabel("/rules/import-export")).toEqual({ kind: "page", route: "/rules/import-export" });
    expect(routeLabel("/api/v1/ttp/rules/R1003/state")).toEqual({ kind: "api", route: "/api/v1/ttp/rules/:id/state" });
    expect(routeLabel("/_next/static/chunks/abc.js")).toEqual({ kind: "static", route: "/_next" });
    expect(routeLabel("/wp-admin/setup.php")).toEqual({ kind: "page", route: "other" });
    expect(routeLabel("/api/x/%2e%2e/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).toEqual({ kind: "api", route: "/api/x/:id/:id" });
  });

  it("times requests and server actions and counts open live streams", async () => {
    instrumentHttpServers(http);
    const m = dashboardMetrics();
    m.requestSeconds.reset();
    let release: (() => void) | null = null;
    const server = http.createServer((req, res) => {
      if (req.url === "/api/events") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(":\n\n");
        release = () => res.end();
        return;
      }
      res.writeHead(req.method === "POST" ? 303 : 200);
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await (await fetch(`${base}/rules/R1001`)).text();
      await (await fetch(`${base}/rules/R1002`, { method: "POST", headers: { "next-action": "abc" }, redirect: "manual" })).text();
      const stream = await fetch(`${base}/api/events`);
      const gauge = async (): Promise<number> => (await m.liveStreams.get()).values[0]?.value ?? 0;
      expect(await gauge()).toBe(1);
      (release as unknown as () => void)();
      await stream.text();
      await new Promise((r) => setTimeout(r, 50));
      expect(await gauge()).toBe(0);
      const text = await m.registry.metrics();
      expect(text).toMatch(/ttp_dashboard_http_request_duration_seconds_count\{kind="page",method="GET",route="\/rules\/:id",status="200"\} 1/);
      expect(text).toMatch(/ttp_dashboard_http_request_duration_seconds_count\{kind="action",method="POST",route="\/rules\/:id",status="303"\} 1/);
      expect(text).toContain("ttp_dashboard_sign_in_failures_total");
      expect(text).toContain("ttp_dashboard_process_cpu_seconds_total");
    } finally {
      server.close();
    }
  });
});
