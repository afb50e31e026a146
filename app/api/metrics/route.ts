import { dashboardMetrics } from "../../../lib/dashboard-metrics";
import { apiRoute } from "../../_server/http";

export const dynamic = "force-dynamic";

/**
 * Prometheus metrics of this dashboard process (lib/dashboard-metrics.ts). Needs an API token
 * (`Authorization: Bearer …`, any role) like the HTTP API: behind a reverse proxy every request
 * looks local, so "localhost only" would protect nothing.
 */
export function GET(request: Request): Promise<Response> {
  return apiRoute(request, "viewer", "Reading metrics", async () => {
    const { registry } = dashboardMetrics();
    return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
  });
}
