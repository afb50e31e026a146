// A process that holds the store open like a worker: subscribe → loadCompiled → apply every
// later change to its rule map, printing the change and the resulting rule-id set.
// usage: follower.mts <database-url> [--expiry on|off]   (expiry defaults to the store default: on)
import { parseArgs } from "node:util";
import { DatabaseRuleStore } from "../../database-store";
import { changeLine, emit, onTerminate, procLogger, requireArg } from "./proc-io";

const { values, positionals } = parseArgs({ options: { expiry: { type: "string", default: "on" } }, allowPositionals: true });
const url = requireArg(positionals[0], "follower.mts <database-url> [--expiry on|off]");
const store = new DatabaseRuleStore({ url, logger: procLogger, ...(values.expiry === "off" ? { expiry: false } : {}) });
await store.ready();
const controller = new AbortController();
onTerminate(() => controller.abort());

const changes = store.subscribeChanges({ signal: controller.signal });
const rules = new Map<string, number>();
let loadedSeq: number | null = null;
async function reload(): Promise<void> {
  const loaded = await store.loadCompiled();
  rules.clear();
  for (const r of loaded.rules) rules.set(r.ruleId, r.ruleVersion);
  loadedSeq = loaded.seq;
}
const ids = (): string[] => [...rules.keys()].sort();

await reload();
emit({ type: "ready", pid: process.pid, seq: loadedSeq, ids: ids() });
for await (const c of changes) {
  if (c.kind === "resync") {
    await reload();
    emit({ ...changeLine(c), seq: loadedSeq, ids: ids() });
    continue;
  }
  if (c.seq !== null && loadedSeq !== null && c.seq <= loadedSeq) continue;
  if (c.kind === "definition") rules.set(c.ruleId, c.rule.ruleVersion);
  else if (c.kind === "deleted") rules.delete(c.ruleId);
  emit({ ...changeLine(c), ids: ids() });
}
await store.close();
emit({ type: "bye" });
