import { createHash } from "node:crypto";
import type { Consumer, JsMsg } from "@nats-io/jetstream";
import type { TtpEvent } from "../engine/types";
import type { Logger } from "../logger";
import type { TextBlock } from "./evaluate-block";
import type { InputControl } from "./input";
import type { NatsClients } from "./nats";
import { ensureConsumer, subjectFor } from "./nats";
import { eventsFromMessage, type DeadLetterReason } from "./nats-envelope";
import { backoffMs, errorMessage } from "./util";

/** Fetch batches one worker holds unacknowledged at most (`--batch` messages each). */
const HELD_BATCHES = 8;

export interface NatsInputSettings {
  stream: string;
  durable: string;
  prefix: string;
  /** Deliveries after which a message that keeps failing goes to dead letters (default 5). */
  maxDeliver: number;
  /** Consumer AckWait: an unacknowledged message is redelivered (to any worker) after this long. */
  ackWaitMs: number;
  /** Messages per pull request (bounded in-flight work per worker). */
  batch: number;
  /** Unacknowledged messages the whole group may hold (consumer max_ack_pending). */
  maxAckPending: number;
}

/** Counters for /metrics and the report. */
export class NatsInputStats {
  received = 0;
  acked = 0;
  redelivered = 0;
  readonly deadLettered = new Map<DeadLetterReason, number>();
  /** Messages the consumer still has to deliver (num_pending), from the last consumer info. */
  pending: number | null = null;
  /** Delivered to a worker, not yet acknowledged (num_ack_pending). */
  ackPending: number | null = null;
  connected = false;
  /** Why input is paused (null while it flows). */
  pausedReason: string | null = "connecting";
}

const BLOCK_BYTES = 512 * 1024;

/**
 * Pulls messages of a durable consumer shared by every worker of the group, turns each into
 * events (nats-envelope.ts) and yields them as blocks of JSON Lines for the ordinary evaluation
 * path. A block's messages are acknowledged only by `settle(block)`, which the worker calls once
 * the sinks have durably written that block's tags. Poison messages are republished to
 * `<prefix>ttp.deadletter` with their reason and then acknowledged. While a message is held its
 * AckWait is extended (in-progress acks), so a slow or unreachable sink never causes a redelivery.
 */
export class NatsInput {
  readonly stats = new NatsInputStats();
  private readonly queue: JsMsg[] = [];
  private readonly held = new Map<JsMsg, number>();
  private readonly blockMessages = new WeakMap<TextBlock, JsMsg[]>();
  private readonly blockEvents = new WeakMap<TextBlock, TtpEvent[]>();
  private wake: (() => void) | null = null;
  private roomWake: (() => void) | null = null;
  private currentFetch: { stop(err?: Error): void } | null = null;
  private disconnected = false;
  private pumpDone = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private infoTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly clients: NatsClients,
    private readonly s: NatsInputSettings,
    private readonly o: {
      control: InputControl;
      logger: Logger;
      alloc: (n: number) => Buffer;
      /** False for a source kind no rule can ever use (dead letter `unknown_source_kind`). */
      usableKind: (kind: string) => boolean;
      /** Blocks as JSON Lines text (for evaluation threads); otherwise the events ride along (eventsOf). */
      text: boolean;
    },
  ) {}

  /** Blocks of events; ends when the control drains/stops (after yielding what was already delivered). */
  async *blocks(): AsyncGenerator<TextBlock> {
    void this.watchConnection();
    const pump = this.pump();
    const every = Math.max(250, Math.floor(this.s.ackWaitMs / 3));
    this.heartbeat = setInterval(() => this.extendHeld(every), every);
    this.heartbeat.unref?.();
    this.infoTimer = setInterval(() => void this.refreshInfo(), 1000);
    this.infoTimer.unref?.();
    void this.refreshInfo();
    const offControl = this.o.control.onChange(() => {
      if (this.o.control.draining) this.currentFetch?.stop();
      this.poke();
    });
    try {
      for (;;) {
        if (this.queue.length === 0) {
          // Draining: what was delivered is handed on; a pull that hangs (server gone) is not waited for.
          if (this.pumpDone || this.o.control.draining) break;
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          // Let the rest of what arrived in the same read be queued: one block, not one per message.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        const block = await this.nextBlock();
        if (block) yield block;
      }
    } finally {
      offControl();
      this.pumpDone = true;
      this.currentFetch?.stop();
      let timer: ReturnType<typeof setTimeout> | null = null;
      await Promise.race([pump, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
      if (timer) clearTimeout(timer);
    }
  }

  /** Follows the connection's status: while disconnected, input is paused and says why. */
  private async watchConnection(): Promise<void> {
    try {
      for await (const st of this.clients.nc.status()) {
        if (st.type === "disconnect") {
          this.disconnected = true;
          this.stats.connected = false;
          this.stats.pausedReason = "NATS: disconnected; reconnecting";
        } else if (st.type === "reconnect") {
          this.disconnected = false;
          this.stats.connected = true;
          this.stats.pausedReason = null;
        }
      }
    } catch (err) {
      this.o.logger.debug("NATS status stream ended", { error: errorMessage(err) });
    }
  }

  /** Acknowledges every message of a block whose tags are durably written. */
  settle(block: TextBlock): void {
    const msgs = this.blockMessages.get(block);
    if (!msgs) return;
    this.blockMessages.delete(block);
    for (const m of msgs) {
      m.ack();
      this.held.delete(m);
    }
    this.stats.acked += msgs.length;
    this.roomWake?.();
  }

  /** The parsed events of a block made with `text: false`. */
  eventsOf(block: TextBlock): TtpEvent[] | undefined {
    return this.blockEvents.get(block);
  }

  /** Messages delivered to this worker and not yet acknowledged. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Stops the timers; unacknowledged messages return to the group after AckWait. */
  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.infoTimer) clearInterval(this.infoTimer);
    this.heartbeat = this.infoTimer = null;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async pump(): Promise<void> {
    const { control, logger } = this.o;
    let consumer: Consumer | null = null;
    let failures = 0;
    while (!control.draining) {
      try {
        if (!consumer) {
          await ensureConsumer(this.clients.jsm, { stream: this.s.stream, durable: this.s.durable, ackWaitMs: this.s.ackWaitMs, maxAckPending: this.s.maxAckPending });
          consumer = await this.clients.js.consumers.get(this.s.stream, this.s.durable);
        }
        // Bounded in-flight work: pull again only when what this worker holds leaves room for a batch.
        // Eight batches: while one transaction commits the tags of the messages before, the next
        // ones are evaluated, so the db sink's transactions grow with a backlog (fewer, larger
        // commits; see DbTagSink's batchSize). The consumer's max_ack_pending bounds the group.
        const room = this.s.batch * HELD_BATCHES - this.held.size;
        if (room < this.s.batch / 2) {
          await new Promise<void>((resolve) => {
            this.roomWake = resolve;
            setTimeout(resolve, 50).unref?.();
          });
          this.roomWake = null;
          continue;
        }
        const msgs = await consumer.fetch({ max_messages: Math.min(room, this.s.batch), expires: 1000 });
        this.currentFetch = msgs;
        let n = 0;
        for await (const m of msgs) {
          this.queue.push(m);
          this.held.set(m, Date.now());
          n++;
          this.poke();
          if (control.stopped) break;
        }
        if (failures > 0) logger.info("NATS input flowing again", { stream: this.s.stream, durable: this.s.durable });
        failures = 0;
        if (!this.disconnected) {
          this.stats.connected = true;
          this.stats.pausedReason = null;
        }
        if (n === 0 && control.draining) break;
      } catch (err) {
        if (control.draining) break;
        failures++;
        consumer = null;
        this.stats.connected = false;
        this.stats.pausedReason = `NATS: ${errorMessage(err)}`;
        const delay = backoffMs(failures);
        if (failures === 1 || failures % 10 === 0) logger.warn("NATS input paused; retrying", { attempt: failures, delay_ms: delay, error: errorMessage(err) });
        await control.sleep(delay);
      }
    }
    this.pumpDone = true;
    this.poke();
  }

  private async nextBlock(): Promise<TextBlock | null> {
    const lines: string[] = [];
    const events: TtpEvent[] = [];
    const text = this.o.text;
    const msgs: JsMsg[] = [];
    const dead: Promise<void>[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && bytes < BLOCK_BYTES) {
      const m = this.queue.shift() as JsMsg;
      this.stats.received++;
      if (m.info.redelivered) this.stats.redelivered++;
      if (m.info.deliveryCount > this.s.maxDeliver) {
        dead.push(this.deadLetter(m, "max_deliver", `delivered ${m.info.deliveryCount} times (--max-deliver ${this.s.maxDeliver})`));
        continue;
      }
      const r = eventsFromMessage(m.subject, m.data, this.s.prefix);
      if (!r.ok) {
        dead.push(this.deadLetter(m, r.reason, r.detail));
        continue;
      }
      const unusable = r.events.find((e) => !this.o.usableKind(e.source_kind));
      if (unusable) {
        dead.push(this.deadLetter(m, "unknown_source_kind", `no rule can use source kind "${unusable.source_kind}"`));
        continue;
      }
      if (text) {
        for (const e of r.events) {
          const line = JSON.stringify(e);
          lines.push(line);
          bytes += line.length + 1;
        }
      } else {
        for (const e of r.events) events.push(e);
        bytes += m.data.length;
      }
      msgs.push(m);
    }
    if (dead.length > 0) await Promise.all(dead);
    if (msgs.length === 0) return null;
    if (!text) {
      const block: TextBlock = { bytes: new Uint8Array(0) };
      this.blockEvents.set(block, events);
      this.blockMessages.set(block, msgs);
      return block;
    }
    const joined = lines.join("\n") + "\n";
    const n = Buffer.byteLength(joined);
    const buf = this.o.alloc(n);
    buf.write(joined, 0, "utf8");
    const block: TextBlock = { bytes: buf.subarray(0, n) };
    this.blockMessages.set(block, msgs);
    return block;
  }

  /** Republishes a poison message with its reason, then acknowledges it; left for redelivery when NATS refuses. */
  private async deadLetter(m: JsMsg, reason: DeadLetterReason, detail: string): Promise<void> {
    const body = {
      reason,
      detail,
      subject: m.subject,
      stream: this.s.stream,
      stream_seq: m.info.streamSequence,
      delivery_count: m.info.deliveryCount,
      data: Buffer.from(m.data).toString("utf8"),
    };
    try {
      await this.clients.js.publish(subjectFor(this.s.prefix, "ttp.deadletter"), JSON.stringify(body), {
        msgID: `deadletter:${this.s.stream}:${m.info.streamSequence}`,
      });
      m.ack();
      this.held.delete(m);
      this.stats.acked++;
      this.stats.deadLettered.set(reason, (this.stats.deadLettered.get(reason) ?? 0) + 1);
      this.o.logger.warn("message dead-lettered", { reason, subject: m.subject, stream_seq: m.info.streamSequence, delivery_count: m.info.deliveryCount, digest: createHash("sha1").update(m.data).digest("hex").slice(0, 12) });
    } catch (err) {
      this.held.delete(m);
      this.o.logger.warn("could not publish a dead letter; the message will be redelivered", { reason, error: errorMessage(err) });
    }
  }

  /** In-progress acks for messages held longer than a third of AckWait (sink slow or down). */
  private extendHeld(olderThanMs: number): void {
    const limit = Date.now() - olderThanMs;
    for (const [m, since] of this.held) {
      if (since > limit) continue;
      try {
        m.working();
        this.held.set(m, Date.now());
      } catch (err) {
        this.o.logger.debug("in-progress ack failed", { error: errorMessage(err) });
      }
    }
  }

  private async refreshInfo(): Promise<void> {
    try {
      const info = await this.clients.jsm.consumers.info(this.s.stream, this.s.durable);
      this.stats.pending = info.num_pending;
      this.stats.ackPending = info.num_ack_pending;
    } catch (err) {
      this.o.logger.debug("consumer info failed", { error: errorMessage(err) });
    }
  }
}
