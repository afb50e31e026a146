/** Environment variables that switch span export on (the OpenTelemetry SDK's standard set). */
const TRIGGERS = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_TRACES_EXPORTER",
  "OTEL_SERVICE_NAME",
  "OTEL_TRACES_SAMPLER",
] as const;

export interface Telemetry {
  /** Exports the spans still buffered and stops; resolves to why that failed (e.g. no collector), or null. */
  shutdown(): Promise<string | null>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** True when the standard OTEL_* variables ask for traces (and OTEL_SDK_DISABLED / OTEL_TRACES_EXPORTER=none do not forbid them). */
export function telemetryRequested(env: Env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return false;
  if ((env.OTEL_TRACES_EXPORTER ?? "").split(",").map((s) => s.trim()).includes("none")) return false;
  return TRIGGERS.some((k) => (env[k] ?? "").trim() !== "");
}

/**
 * Starts the OpenTelemetry Node SDK with the exporter, endpoint, protocol (`http/protobuf` by
 * default, `http/json`, `grpc`), sampler and resource that the standard OTEL_* variables select,
 * traces only (metrics and logs stay with Prometheus and our JSON logs). Returns null — and loads
 * nothing, not even the SDK's modules — when no such variable is set. `serviceName` applies unless
 * OTEL_SERVICE_NAME is set; resource: env, host and OS detectors plus pid and runtime (unless
 * OTEL_NODE_RESOURCE_DETECTORS chooses), never the command line.
 */
export async function startTelemetry(env: Env, options: { serviceName: string; pid: number; nodeVersion: string }): Promise<Telemetry | null> {
  if (!telemetryRequested(env)) return null;
  const { NodeSDK, resources } = await import("@opentelemetry/sdk-node");
  const sdk = new NodeSDK({
    ...((env.OTEL_SERVICE_NAME ?? "").trim() === "" ? { serviceName: options.serviceName } : {}),
    // Not the process detector: its process.command_args would carry CLI arguments (a --reason text).
    ...((env.OTEL_NODE_RESOURCE_DETECTORS ?? "").trim() === ""
      ? {
          resourceDetectors: [resources.envDetector, resources.hostDetector, resources.osDetector],
          resource: resources.resourceFromAttributes({ "process.pid": options.pid, "process.runtime.name": "nodejs", "process.runtime.version": options.nodeVersion }),
        }
      : {}),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  let done: Promise<string | null> | null = null;
  return {
    shutdown: () =>
      (done ??= sdk.shutdown().then(
        () => null,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      )),
  };
}
