// Child process for the concurrent fresh-open test: waits until a shared instant, then opens
// (and migrates) the SQLite file, so several processes race on the same fresh database.
import { openDatabase } from "../open-database";

async function main(): Promise<void> {
  const [file, goAtText] = process.argv.slice(2);
  if (!file || !goAtText) throw new Error("usage: open-sqlite-child <file> <go-at-epoch-ms>");
  const goAt = Number(goAtText);
  while (Date.now() < goAt) await new Promise((r) => setTimeout(r, 1));
  const db = await openDatabase(`file:${file}`);
  if (db.dialect !== "sqlite") throw new Error("expected SQLite");
  const n = db.sqlite.prepare("SELECT count(*) AS n FROM ttp_change").get() as { n: number };
  await db.close();
  process.stdout.write(`ok ${n.n}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
