import { AckPolicy, DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { connect, nanos, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../logger";
import { errorMessage } from "./util";

/** DECNET's bus subjects the input stream holds (each carries the deployment prefix). */
export const INPUT_SUBJECTS = ["attacker.>", "identity.>", "credential.>", "email.>", "canary.>", "ttp.input.>"] as const;
/** What workers and the master publish, kept in `<stream>_TTP`. */
export const OUTPUT_SUBJECTS = ["ttp.tagged", "ttp.rule.>", "ttp.deadletter"] as const;
export const DEFAULT_STREAM = "DECNET";
const DAY_NS = nanos(24 * 3600 * 1000);

export interface NatsStreamsConfig {
  stream: string;
  prefix: string;
  /** How long the input stream keeps messages (default 7 days). */
  maxAgeMs?: number;
  /** Replicas of both streams (JetStream clustering; default 1). */
  replicas?: number;
}

export const outputStreamName = (stream: string): string => `${stream}_TTP`;

/** Subject of `topic` under the deployment prefix (`"" | "site-a."`). */
export const subjectFor = (prefix: string, topic: string): string => `${prefix}${topic}`;

/** A prefix is empty or NATS tokens ending with a dot (`site-a.`). */
export function validPrefix(prefix: string): boolean {
  return prefix === "" || /^([A-Za-z0-9_-]+\.)+$/.test(prefix);
}

/** Connects (reconnecting forever afterwards); `waitOnFirstConnect` waits for a server that is down at start instead of failing. */
export async function connectNats(url: string, name: string, logger: Logger, waitOnFirstConnect = true): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(",").map((s) => s.trim()).filter((s) => s !== ""),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    waitOnFirstConnect,
    pingInterval: 5000,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") logger.warn("NATS disconnected; reconnecting", { server: "server" in s ? s.server : undefined });
      else if (s.type === "reconnect") logger.info("NATS reconnected", { server: "server" in s ? s.server : undefined });
    }
  })().catch((err: unknown) => logger.debug("NATS status stream ended", { error: errorMessage(err) }));
  return nc;
}

/** Flushes pending acks and publishes (at most `flushMs`: a disconnected client would wait for a reconnect) and closes. */
export async function closeNats(nc: NatsConnection, flushMs = 2000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  await Promise.race([nc.flush().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, flushMs)))]);
  if (timer) clearTimeout(timer);
  await nc.close();
}

function streamConfigs(c: NatsStreamsConfig): (Partial<StreamConfig> & { name: string })[] {
  const base = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: c.replicas ?? 1,
  };
  return [
    {
      ...base,
      name: c.stream,
      subjects: INPUT_SUBJECTS.map((s) => subjectFor(c.prefix, s)),
      max_age: nanos(c.maxAgeMs ?? 7 * 24 * 3600 * 1000),
      duplicate_window: nanos(2 * 60 * 1000),
    },
    {
      ...base,
      name: outputStreamName(c.stream),
      subjects: OUTPUT_SUBJECTS.map((s) => subjectFor(c.prefix, s)),
      max_age: 7 * DAY_NS,
      // Wide enough that a worker redelivered after a crash republishes nothing twice.
      duplicate_window: nanos(10 * 60 * 1000),
    },
  ];
}

/** Creates or updates both streams (idempotent); returns one line per stream saying what happened. */
export async function ensureStreams(jsm: JetStreamManager, c: NatsStreamsConfig): Promise<string[]> {
  const out: string[] = [];
  for (const cfg of streamConfigs(c)) {
    const name = cfg.name;
    let existing: StreamConfig | null = null;
    try {
      existing = (await jsm.streams.info(name)).config;
    } catch (err) {
      if (!/not found/i.test(errorMessage(err))) throw err;
    }
    if (!existing) {
      await jsm.streams.add(cfg);
      out.push(`created stream ${name} over ${(cfg.subjects ?? []).join(", ")}`);
      continue;
    }
    const same =
      JSON.stringify([...(existing.subjects ?? [])].sort()) === JSON.stringify([...(cfg.subjects ?? [])].sort()) &&
      existing.max_age === cfg.max_age &&
      existing.duplicate_window === cfg.duplicate_window &&
      existing.num_replicas === cfg.num_replicas;
    if (same) {
      out.push(`stream ${name} is up to date`);
      continue;
    }
    await jsm.streams.update(name, { ...existing, ...cfg } as StreamConfig);
    out.push(`updated stream ${name}: subjects ${(cfg.subjects ?? []).join(", ")}`);
  }
  return out;
}

export interface ConsumerSettings {
  stream: string;
  durable: string;
  ackWaitMs: number;
  /** Unacknowledged messages the server hands to all workers of the group together. */
  maxAckPending: number;
}

/** Creates the shared durable pull consumer if it is missing (every worker of the group calls it). */
export async function ensureConsumer(jsm: JetStreamManager, s: ConsumerSettings): Promise<void> {
  try {
    await jsm.consumers.info(s.stream, s.durable);
    return;
  } catch (err) {
    if (!/not found/i.test(errorMessage(err))) throw err;
  }
  await jsm.consumers.add(s.stream, {
    durable_name: s.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(s.ackWaitMs),
    // Deliveries are counted by the worker (--max-deliver → dead letter), never dropped by the server.
    max_deliver: -1,
    max_ack_pending: s.maxAckPending,
  });
}

export interface NatsClients {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export async function natsClients(url: string, name: string, logger: Logger, waitOnFirstConnect = true): Promise<NatsClients> {
  const nc = await connectNats(url, name, logger, waitOnFirstConnect);
  const jsm = await jetstreamManager(nc, { timeout: 5000 });
  return { nc, js: jetstream(nc, { timeout: 5000 }), jsm };
}
