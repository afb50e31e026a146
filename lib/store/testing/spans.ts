import { AsyncLocalStorage } from "node:async_hooks";
import {
  context,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

/** A finished or running span as the recorder saw it. */
export interface RecordedSpan {
  name: string;
  attributes: Attributes;
  parent: RecordedSpan | null;
  ended: boolean;
  status: SpanStatus | null;
}

class AlsContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.als.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.als.disable();
    return this;
  }
}

let nextId = 1;

class RecordingSpan implements Span {
  private readonly ctx: SpanContext;
  constructor(readonly record: RecordedSpan) {
    const id = (nextId++).toString(16).padStart(16, "0");
    this.ctx = { traceId: id.padStart(32, "0"), spanId: id, traceFlags: TraceFlags.SAMPLED };
  }
  spanContext(): SpanContext {
    return this.ctx;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.record.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.record.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.record.status = status;
    return this;
  }
  updateName(name: string): this {
    this.record.name = name;
    return this;
  }
  end(): void {
    this.record.ended = true;
  }
  isRecording(): boolean {
    return !this.record.ended;
  }
  recordException(): void {}
}

/**
 * Installs a global tracer provider that records every span with its parent (no OpenTelemetry SDK
 * needed), for asserting span names, attributes and nesting. `uninstall()` restores the no-op API.
 */
export function installSpanRecorder(): { spans: RecordedSpan[]; uninstall(): void } {
  const spans: RecordedSpan[] = [];
  const tracer: Tracer = {
    startSpan(name: string, options?: SpanOptions, ctx?: Context): Span {
      const parentSpan = trace.getSpan(ctx ?? context.active());
      const parent = parentSpan instanceof RecordingSpan ? parentSpan.record : null;
      const record: RecordedSpan = { name, attributes: { ...(options?.attributes ?? {}) }, parent, ended: false, status: null };
      spans.push(record);
      return new RecordingSpan(record);
    },
    startActiveSpan(name: string, ...rest: unknown[]): never {
      const fn = rest[rest.length - 1] as (span: Span) => unknown;
      const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
      const ctx = (rest.length >= 3 ? rest[1] : undefined) as Context | undefined;
      const parentCtx = ctx ?? context.active();
      const span = this.startSpan(name, options, parentCtx);
      return context.with(trace.setSpan(parentCtx, span), fn, undefined, span) as never;
    },
  };
  const provider: TracerProvider = { getTracer: () => tracer };
  context.setGlobalContextManager(new AlsContextManager());
  trace.setGlobalTracerProvider(provider);
  return {
    spans,
    uninstall() {
      trace.disable();
      context.disable();
    },
  };
}
