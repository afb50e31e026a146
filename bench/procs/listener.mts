// Child process for the propagation benchmark: tails the feed and prints "<seq> <rule_id> <epoch ms>" per state change.
import { DatabaseRuleStore } from "../../lib/store/database-store";

const url = process.argv[2];
if (!url) {
  process.stderr.write("usage: listener <database-url>\n");
  process.exit(1);
}
const store = new DatabaseRuleStore({ url, expiry: false });
const controller = new AbortController();
process.on("SIGTERM", () => controller.abort());
await store.ready();
process.stdout.write("ready\n");
for await (const c of store.tail({ signal: controller.signal })) {
  if (c.kind === "state") process.stdout.write(`${c.seq} ${c.ruleId} ${performance.timeOrigin + performance.now()}\n`);
}
await store.close();
