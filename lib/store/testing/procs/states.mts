// Reads the effective state of each rule from its own process and prints them as one JSON line.
// usage: states.mts <database-url> <rule id>...
import { DatabaseRuleStore } from "../../database-store";
import { emit, procLogger, requireArg } from "./proc-io";

const [urlArg, ...ids] = process.argv.slice(2);
const url = requireArg(urlArg, "states.mts <database-url> <rule id>...");
const store = new DatabaseRuleStore({ url, logger: procLogger, expiry: false });
await store.ready();
const states: Record<string, unknown> = {};
for (const id of ids) states[id] = await store.getState(id);
emit({ type: "states", states });
await store.close();
