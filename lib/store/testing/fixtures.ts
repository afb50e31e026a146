import type { ChangeEvent } from "../types";

/** Fields of the fixture rule that a test may change; text fields are written verbatim into YAML. */
export interface RuleYamlOverrides {
  /** A leading `# …` comment line (kept verbatim by every store). */
  comment?: string;
  ruleVersion?: number;
  name?: string;
  description?: string;
  /** Flow-list body, e.g. `command, http_request`; "" gives `applies_to: []`. */
  appliesTo?: string;
  /** Python-syntax pattern, written in single quotes. */
  pattern?: string;
  techniqueId?: string;
  tactic?: string;
  confidence?: number;
  /** Raw YAML lines appended at the end (unknown keys are kept by the stores). */
  extra?: string;
}

/** A valid rule document (SPEC §1.1) for `id`, as the original text a store must keep. */
export function validRuleYaml(id: string, overrides: RuleYamlOverrides = {}): string {
  const o = overrides;
  const lines = [
    `# ${o.comment ?? `fixture rule ${id} — comment kept verbatim`}`,
    `rule_id: ${id}`,
    `rule_version: ${o.ruleVersion ?? 1}`,
    `name: ${o.name ?? "system_info_discovery"}`,
    `description: ${o.description ?? "uname and friends"}`,
    `applies_to: [${o.appliesTo ?? "command"}]`,
    `match:`,
    `  pattern: '${(o.pattern ?? "(?i)\\buname\\s+-a\\b").replace(/'/g, "''")}'`,
    `emits:`,
    `  - technique_id: ${o.techniqueId ?? "T1082"}`,
    `    tactic: ${o.tactic ?? "TA0007"}`,
    `    confidence: ${o.confidence ?? 0.6}`,
    `evidence_fields: [command_text]`,
  ];
  if (o.extra) lines.push(o.extra);
  return `${lines.join("\n")}\n`;
}

/** A document with a YAML syntax error on line 6 (an unclosed flow sequence). */
export function malformedRuleYaml(id: string): string {
  return validRuleYaml(id).replace("applies_to: [command]", "applies_to: [command\nmatch_broken: x");
}

/** Polls `predicate` every few milliseconds until it holds or `timeoutMs` passes (then throws). */
export async function waitFor<T>(predicate: () => T | Promise<T>, timeoutMs = 3000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A clock tests move by hand (epoch ms). */
export interface ManualClock {
  (): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(startMs = Date.parse("2030-01-01T00:00:00.000Z")): ManualClock {
  let now = startMs;
  const clock = (() => now) as ManualClock;
  clock.set = (ms) => {
    now = ms;
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

/** Reads a subscription in the background into `events` until stopped. */
export function recordChanges(
  iterator: AsyncIterableIterator<ChangeEvent>,
): { events: ChangeEvent[]; stop(): Promise<void> } {
  const events: ChangeEvent[] = [];
  const loop = (async () => {
    for (;;) {
      const r = await iterator.next();
      if (r.done) return;
      events.push(r.value);
    }
  })();
  return {
    events,
    async stop() {
      await iterator.return?.();
      await loop;
    },
  };
}
