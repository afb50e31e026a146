// Opens the store, waits until it is ready, closes it and says so; nothing else keeps the event
// loop alive, so a close() that never settles shows up as a missing "closed" line (and, for
// top-level await, exit code 13). `--expiry off` is how the CLI's one-shot commands open it.
// usage: close-probe.mts <database-url> [--expiry on|off]
import { parseArgs } from "node:util";
import { DatabaseRuleStore } from "../../database-store";
import { emit, procLogger, requireArg } from "./proc-io";

const { values, positionals } = parseArgs({ options: { expiry: { type: "string", default: "on" } }, allowPositionals: true });
const url = requireArg(positionals[0], "close-probe.mts <database-url> [--expiry on|off]");
const store = new DatabaseRuleStore({ url, logger: procLogger, expiry: values.expiry !== "off" });
await store.ready();
emit({ type: "ready" });
await store.close();
emit({ type: "closed" });
