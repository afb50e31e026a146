import { createHash } from "node:crypto";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { Tag } from "../engine/types";
import type { Logger } from "../logger";
import { subjectFor } from "./nats";
import { backoffMs, errorMessage, sleep } from "./util";

/** DECNET's bus envelope around a payload; `id` derived from the dedup id so a republish is identical. */
export function busEnvelope(topic: string, type: string, payload: Record<string, unknown>, dedupId: string, nowMs: number): Record<string, unknown> {
  const id = createHash("sha1").update(dedupId).digest("hex").slice(0, 32);
  return { v: 1, id, topic, type, ts: nowMs / 1000, payload };
}

export interface TagMessage {
  subject: string;
  msgId: string;
  body: string;
}

/**
 * Upstream's granularity (decnet/ttp/worker.py `_publish_tagged`): per event with tags, one
 * `ttp.tagged` `{attacker_uuid, identity_uuid, session_id, tag_uuids, techniques_added}` and one
 * `ttp.rule.fired.<technique_id>` `{technique_id, tag_uuids, attacker_uuid, identity_uuid,
 * session_id}` per distinct technique. `Nats-Msg-Id` = subject + ":" + the event's source id.
 * An event's tags are consecutive in the engine's output (grouped by source kind and id here).
 */
export function tagMessages(tags: readonly Tag[], prefix: string, nowMs: number): TagMessage[] {
  const out: TagMessage[] = [];
  let i = 0;
  while (i < tags.length) {
    const first = tags[i] as Tag;
    let j = i + 1;
    while (j < tags.length && (tags[j] as Tag).source_id === first.source_id && (tags[j] as Tag).source_kind === first.source_kind) j++;
    const group = tags.slice(i, j);
    i = j;
    const techniques = [...new Set(group.map((t) => t.technique_id))].sort();
    const ids = { attacker_uuid: first.attacker_uuid, identity_uuid: first.identity_uuid, session_id: first.session_id };
    const tagged = subjectFor(prefix, "ttp.tagged");
    const taggedId = `${tagged}:${first.source_id}`;
    out.push({
      subject: tagged,
      msgId: taggedId,
      body: JSON.stringify(busEnvelope("ttp.tagged", "ttp.tagged", { ...ids, tag_uuids: group.map((t) => t.uuid), techniques_added: techniques }, taggedId, nowMs)),
    });
    for (const technique of techniques) {
      const subject = subjectFor(prefix, `ttp.rule.fired.${technique}`);
      const msgId = `${subject}:${first.source_id}`;
      const payload = { technique_id: technique, tag_uuids: group.filter((t) => t.technique_id === technique).map((t) => t.uuid), ...ids };
      out.push({ subject, msgId, body: JSON.stringify(busEnvelope(`ttp.rule.fired.${technique}`, "ttp.rule.fired", payload, msgId, nowMs)) });
    }
  }
  return out;
}

/**
 * Publishes tag messages to JetStream and resolves once the stream has stored every one (its
 * PubAck). Retries an unreachable server with capped backoff until `signal` aborts; the stream's
 * duplicate window (Nats-Msg-Id) drops what a redelivered input message publishes again.
 */
export class NatsTagSink {
  published = 0;
  duplicates = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly signal: AbortSignal,
  ) {}

  async publish(tags: readonly Tag[]): Promise<void> {
    if (tags.length === 0) return;
    const msgs = tagMessages(tags, this.prefix, Date.now());
    await Promise.all(msgs.map((m) => this.publishOne(m)));
  }

  private async publishOne(m: TagMessage): Promise<void> {
    let failures = 0;
    for (;;) {
      try {
        const ack = await this.js.publish(m.subject, m.body, { msgID: m.msgId });
        if (ack.duplicate) this.duplicates++;
        else this.published++;
        return;
      } catch (err) {
        if (this.signal.aborted) throw err;
        failures++;
        if (failures === 1 || failures % 10 === 0) this.logger.warn("NATS sink: publish failed; retrying", { subject: m.subject, attempt: failures, error: errorMessage(err) });
        await sleep(backoffMs(failures), this.signal);
      }
    }
  }
}
