import { benchEngine } from "./engine";

const USAGE = "usage: npm run bench -- <engine|store|all> [--rules <dir>]";

async function main(argv: string[]): Promise<number> {
  const [name = "all", ...rest] = argv;
  const rulesIdx = rest.indexOf("--rules");
  const rulesDir = rulesIdx >= 0 ? (rest[rulesIdx + 1] ?? "rules/ttp") : "rules/ttp";
  const known = ["engine", "store", "all"];
  if (!known.includes(name)) {
    process.stderr.write(`${USAGE}\n`);
    return 1;
  }
  console.log(`# ttp bench ${name} — node ${process.version}, ${new Date().toISOString()}`);
  if (name === "engine" || name === "all") await benchEngine(rulesDir);
  if (name === "store" || name === "all") {
    const { benchStore } = await import("./store");
    await benchStore();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
