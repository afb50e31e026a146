import { headers } from "@nats-io/transport-node";
import type { Logger } from "../logger";
import { busMessageFor } from "../store/bus";
import type { RuleChange, RuleStore } from "../store/types";
import type { NatsClients } from "./nats";
import { outputStreamName, subjectFor } from "./nats";
import { busEnvelope } from "./nats-sink";
import { backoffMs, errorMessage, sleep } from "./util";

/** Header carrying the feed seq of a published change (how a restarted master finds where it stopped). */
export const SEQ_HEADER = "Ttp-Change-Seq";

export interface ChangePublisherOptions {
  stream: string;
  prefix: string;
  logger: Logger;
  signal: AbortSignal;
  onPublished?: (seq: number) => void;
}

/**
 * The master's bus publisher: every `ttp_change` seq (whoever wrote it) becomes one
 * `ttp.rule.reloaded.<rule_id>` or `ttp.rule.state.<rule_id>` message (SPEC §3.4 payload inside
 * DECNET's envelope), in seq order, exactly once: `Nats-Msg-Id` is `ttp.change:<seq>` and, at
 * start, it resumes after the highest seq already in `<stream>_TTP` (the last message of the
 * subject ranges). A NATS outage holds the feed (retried with capped backoff), never skips it.
 */
export class ChangePublisher {
  lastPublished = 0;

  constructor(
    private readonly clients: NatsClients,
    private readonly store: RuleStore,
    private readonly o: ChangePublisherOptions,
  ) {}

  /** Highest change seq already stored in the output stream (0 when none). */
  async lastPublishedSeq(): Promise<number> {
    let best = 0;
    for (const range of ["ttp.rule.reloaded.>", "ttp.rule.state.>"]) {
      try {
        const m = await this.clients.jsm.streams.getMessage(outputStreamName(this.o.stream), { last_by_subj: subjectFor(this.o.prefix, range) });
        const seq = Number(m?.header.get(SEQ_HEADER) ?? 0);
        if (Number.isFinite(seq) && seq > best) best = seq;
      } catch (err) {
        if (!/no message found|not found/i.test(errorMessage(err))) throw err;
      }
    }
    return best;
  }

  async run(): Promise<void> {
    const { signal, logger } = this.o;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const from = await this.lastPublishedSeq();
        this.lastPublished = from;
        logger.info("publishing rule changes to NATS", { after_seq: from, stream: outputStreamName(this.o.stream) });
        failures = 0;
        for await (const c of this.store.subscribeChanges({ fromSeq: from, signal })) {
          if (c.kind === "resync") throw new Error(`change feed resync: ${c.reason}`);
          if (c.seq === null || c.seq <= this.lastPublished) continue;
          await this.publish(c);
        }
        return;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const delay = backoffMs(failures);
        logger.warn("publishing rule changes to NATS failed; retrying", { attempt: failures, delay_ms: delay, error: errorMessage(err) });
        await sleep(delay, signal);
      }
    }
  }

  private async publish(c: RuleChange): Promise<void> {
    const seq = c.seq as number;
    const { topic, payload } = busMessageFor(c);
    const subject = subjectFor(this.o.prefix, topic);
    const msgID = `ttp.change:${seq}`;
    const h = headers();
    h.set(SEQ_HEADER, String(seq));
    const type = topic.startsWith("ttp.rule.state.") ? "ttp.rule.state" : "ttp.rule.reloaded";
    const body = JSON.stringify(busEnvelope(topic, type, payload, msgID, Date.parse(c.at)));
    let failures = 0;
    for (;;) {
      try {
        await this.clients.js.publish(subject, body, { msgID, headers: h });
        this.lastPublished = seq;
        this.o.onPublished?.(seq);
        return;
      } catch (err) {
        if (this.o.signal.aborted) throw err;
        failures++;
        if (failures === 1 || failures % 10 === 0) this.o.logger.warn("NATS: publishing a rule change failed; retrying", { seq, attempt: failures, error: errorMessage(err) });
        await sleep(backoffMs(failures), this.o.signal);
      }
    }
  }
}
