// A burst of writes from its own process, printing the seq of each write once it has committed.
// Each write's seq is learnt from the store's own change feed (the change is published before
// the write returns), matched by rule id + actor + the state's unique reason (state), rule id +
// revision (definition), or for a clear (whose state carries no reason) the oldest unmatched
// default-state change of that rule by this actor (this process's writes are sequential).
// usage: writer.mts <database-url> <name> <count> <rule ids, comma-separated> [--index i] [--mix] [--go]
//   --mix: every 10th write re-saves the definition, every 10th (offset 4) clears the state
//   --go:  print {"type":"ready"} and wait for a "go" line on stdin before writing
import { parseArgs } from "node:util";
import { ruleYaml } from "../../../rules/testing/fixtures";
import { DatabaseRuleStore } from "../../database-store";
import type { RuleChange } from "../../types";
import { emit, onTerminate, procLogger, requireArg } from "./proc-io";

const USAGE = "writer.mts <database-url> <name> <count> <ids> [--index i] [--mix] [--go]";
const { values, positionals } = parseArgs({
  options: { index: { type: "string", default: "0" }, mix: { type: "boolean", default: false }, go: { type: "boolean", default: false } },
  allowPositionals: true,
});
const url = requireArg(positionals[0], USAGE);
const name = requireArg(positionals[1], USAGE);
const count = Number(requireArg(positionals[2], USAGE));
const ids = requireArg(positionals[3], USAGE).split(",");
const index = Number(values.index);

const store = new DatabaseRuleStore({ url, logger: procLogger });
await store.ready();

const seen = new Map<string, number[]>();
const waiting = new Map<string, (seq: number) => void>();
const feed = store.subscribeChanges({ maxBuffered: 1_000_000 });
const keyOf = (c: RuleChange): string =>
  c.kind === "state" ? `state:${c.ruleId}:${c.actor ?? ""}:${c.state.reason ?? ""}` : c.kind === "definition" ? `def:${c.ruleId}:${c.revision}` : `deleted:${c.ruleId}`;
const feedLoop = (async () => {
  for await (const c of feed) {
    if (c.kind === "resync") throw new Error(`writer ${name}: change feed resync: ${c.reason}`);
    if (c.seq === null) throw new Error(`writer ${name}: change without seq`);
    const key = keyOf(c);
    const resolve = waiting.get(key);
    if (resolve) {
      waiting.delete(key);
      resolve(c.seq);
    } else {
      seen.set(key, [...(seen.get(key) ?? []), c.seq]);
    }
  }
})();
feedLoop.catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(3);
});

function seqOf(key: string): Promise<number> {
  const queued = seen.get(key);
  const seq = queued?.shift();
  if (queued && queued.length === 0) seen.delete(key);
  if (seq !== undefined) return Promise.resolve(seq);
  return new Promise((resolve, reject) => {
    // The store publishes a committed change before the write returns: a long wait means the feed lost it.
    const timer = setTimeout(() => reject(new Error(`writer ${name}: change ${key} never arrived on this process's change feed`)), 10_000);
    waiting.set(key, (s) => {
      clearTimeout(timer);
      resolve(s);
    });
  });
}

let stopped = false;
let go: () => void = () => undefined;
const started = new Promise<void>((resolve) => (go = resolve));
onTerminate(
  () => {
    stopped = true;
    go();
  },
  (line) => {
    if (line.trim() === "go") go();
  },
);
if (values.go) {
  emit({ type: "ready", pid: process.pid });
  await started;
}

const STATES = ["disabled", "clipped", "enabled"] as const;
for (let j = 0; j < count && !stopped; j++) {
  const ruleId = ids[(index + j) % ids.length] as string;
  const reason = `${name}-${j}`;
  if (values.mix && j % 10 === 9) {
    const rec = await store.upsertRule(ruleYaml(ruleId, { extra: `# ${reason}\n` }), { actor: name });
    emit({ type: "write", seq: await seqOf(`def:${ruleId}:${rec.revision}`), kind: "definition", rule_id: ruleId, reason, revision: rec.revision });
    continue;
  }
  if (values.mix && j % 10 === 4) {
    await store.clearState(ruleId, name, reason);
    emit({ type: "write", seq: await seqOf(`state:${ruleId}:${name}:`), kind: "state", rule_id: ruleId, reason });
    continue;
  }
  const state = STATES[j % 3] as (typeof STATES)[number];
  const input: Record<string, unknown> = { state, reason };
  if (state === "clipped") input.confidence_max = (j % 10) / 10;
  if (j % 7 === 0) input.expires_at = new Date(Date.now() + 3_600_000).toISOString();
  await store.setState(ruleId, input, name);
  emit({ type: "write", seq: await seqOf(`state:${ruleId}:${name}:${reason}`), kind: "state", rule_id: ruleId, reason });
}
emit({ type: "done" });
await feed.return?.();
await feedLoop;
await store.close();
process.stdin.destroy();
