import http from "node:http";
import { instrumentHttpServers } from "./dashboard-metrics";
import { startTelemetry } from "./telemetry-sdk";

/**
 * What the dashboard's instrumentation.ts runs in the Node.js runtime: request, server-action and
 * live-stream metrics for /api/metrics, and OpenTelemetry export when the OTEL_* variables in
 * `env` ask for it (flushed when the server is told to stop).
 */
export async function instrumentDashboard(env: Readonly<Record<string, string | undefined>>): Promise<void> {
  instrumentHttpServers(http);
  const telemetry = await startTelemetry(env, { serviceName: "ttp-dashboard", pid: process.pid, nodeVersion: process.versions.node });
  if (!telemetry) return;
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void telemetry.shutdown());
}
