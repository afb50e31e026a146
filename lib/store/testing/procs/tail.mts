// A worker-style tailer: subscribeChanges({fromSeq}) printed one change per line.
// usage: tail.mts <database-url> --from-seq <n>
import { parseArgs } from "node:util";
import { DatabaseRuleStore } from "../../database-store";
import { changeLine, emit, onTerminate, procLogger, requireArg } from "./proc-io";

const { values, positionals } = parseArgs({ options: { "from-seq": { type: "string" } }, allowPositionals: true });
const url = requireArg(positionals[0], "tail.mts <database-url> --from-seq <n>");
const fromSeq = Number(requireArg(values["from-seq"], "tail.mts <database-url> --from-seq <n>"));
const store = new DatabaseRuleStore({ url, logger: procLogger });
await store.ready();
const controller = new AbortController();
onTerminate(() => controller.abort());
emit({ type: "ready", pid: process.pid });
for await (const c of store.subscribeChanges({ fromSeq, signal: controller.signal })) if (c.kind !== "resync") emit(changeLine(c));
await store.close();
emit({ type: "bye" });
