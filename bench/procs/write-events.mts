// Child process of the swarm benchmark: writes N generated command events (bench/corpus.ts) as
// JSON Lines to a file, 100,000 at a time, with unique source ids. Prints the byte size.
import { createWriteStream } from "node:fs";
import { commandEvents } from "../corpus";

const [file, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (!file || !Number.isInteger(count) || count <= 0) {
  process.stderr.write("usage: write-events <file> <count>\n");
  process.exit(1);
}
const out = createWriteStream(file);
let bytes = 0;
for (let start = 0, seed = 42; start < count; start += 100_000, seed++) {
  const events = commandEvents(Math.min(100_000, count - start), seed);
  let chunk = "";
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as (typeof events)[number];
    e.source_id = `cmd_${start + i}`;
    chunk += JSON.stringify(e) + "\n";
  }
  bytes += Buffer.byteLength(chunk);
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
}
await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
process.stdout.write(`${bytes}\n`);
