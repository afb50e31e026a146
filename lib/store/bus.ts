import type { RuleChange } from "./types";

/** Minimal publish interface for an event bus (NATS, Redis…); SPEC §3.4. */
export interface Bus {
  publish(topic: string, payload: Record<string, unknown>): Promise<void> | void;
}

export interface BusLogger {
  warn(message: string, context?: Record<string, unknown>): void;
}

/** In-process bus: records and fans out messages; used by tests and single-process set-ups. */
export class InProcessBus implements Bus {
  readonly messages: { topic: string; payload: Record<string, unknown> }[] = [];
  private readonly listeners = new Set<(topic: string, payload: Record<string, unknown>) => void>();

  publish(topic: string, payload: Record<string, unknown>): void {
    this.messages.push({ topic, payload });
    for (const l of this.listeners) l(topic, payload);
  }

  on(listener: (topic: string, payload: Record<string, unknown>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Topic and payload for a change (SPEC §3.4). */
export function busMessageFor(change: RuleChange): { topic: string; payload: Record<string, unknown> } {
  switch (change.kind) {
    case "definition":
      return {
        topic: `ttp.rule.reloaded.${change.ruleId}`,
        payload: { rule_id: change.ruleId, rule_version: change.rule.ruleVersion },
      };
    case "deleted":
      return { topic: `ttp.rule.reloaded.${change.ruleId}`, payload: { rule_id: change.ruleId, deleted: true } };
    case "state":
      return change.autoRevert
        ? { topic: `ttp.rule.state.${change.ruleId}`, payload: { rule_id: change.ruleId, auto_revert: true } }
        : {
            topic: `ttp.rule.state.${change.ruleId}`,
            payload: { rule_id: change.ruleId, state: change.state.state, set_by: change.state.set_by },
          };
  }
}

/**
 * Publishes a committed change; a bus failure is logged and never propagates (it must not block
 * or fail the write that produced the change).
 */
export async function publishChange(bus: Bus | undefined, change: RuleChange, log: BusLogger): Promise<void> {
  if (!bus) return;
  const { topic, payload } = busMessageFor(change);
  try {
    await bus.publish(topic, payload);
  } catch (err) {
    log.warn("bus publish failed; the change is committed and stays in the change feed", {
      topic,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
