// Next.js start-up hook: metrics for /api/metrics and OpenTelemetry export when the standard OTEL_*
// variables ask for it (lib/dashboard-instrumentation.ts). Node.js runtime only.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { instrumentDashboard } = await import("./lib/dashboard-instrumentation");
    await instrumentDashboard(process.env);
  }
}
