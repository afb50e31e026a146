import { SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";

// OpenTelemetry API only: spans are no-ops unless the host process registers an SDK.
const tracer = () => trace.getTracer("ttp-rule-console");

export const SPAN = {
  stateChange: "ttp.rule.state.change",
  writeState: "ttp.store.write_state",
  publish: "ttp.rule.publish",
  eval: "ttp.eval",
  fire: "ttp.rule.fire",
} as const;

/**
 * Runs `fn` inside an active span, recording an exception and error status when it throws.
 * Attributes must never carry payload content (commands, URLs): ids and states only.
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : new Error(String(err)));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Synchronous variant for the engine's hot path. */
export function withSpanSync<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : new Error(String(err)));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
