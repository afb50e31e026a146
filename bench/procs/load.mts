// Child process for the store benchmark: a cold process opens the store and loads every rule once.
import { DatabaseRuleStore } from "../../lib/store/database-store";

const url = process.argv[2];
if (!url) {
  process.stderr.write("usage: load <database-url>\n");
  process.exit(1);
}
const store = new DatabaseRuleStore({ url, expiry: false });
await store.ready();
const t = performance.now();
const loaded = await store.loadCompiled();
const ms = performance.now() - t;
process.stdout.write(JSON.stringify({ ms, rules: loaded.rules.length }) + "\n");
await store.close();
