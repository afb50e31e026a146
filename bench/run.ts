import { benchEngine } from "./engine";

const USAGE = "usage: npm run bench -- <engine|store|swarm|nats|ui|test-panel|editor|all> [--rules <dir>] [--workers n] [--changes n] [--events n] [--threads n] [--sessions n]";

async function main(argv: string[]): Promise<number> {
  const [name = "all", ...rest] = argv;
  const rulesIdx = rest.indexOf("--rules");
  const rulesDir = rulesIdx >= 0 ? (rest[rulesIdx + 1] ?? "rules/ttp") : "rules/ttp";
  const known = ["engine", "store", "swarm", "nats", "ui", "test-panel", "editor", "all"];
  const num = (flag: string): number | undefined => {
    const i = rest.indexOf(flag);
    if (i < 0) return undefined;
    const n = Number(rest[i + 1]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number`);
    return n;
  };
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
  if (name === "swarm" || name === "all") {
    const { benchSwarm } = await import("./swarm");
    const opts = { rulesDir, workers: num("--workers"), changes: num("--changes"), events: num("--events"), threads: num("--threads") };
    await benchSwarm(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
  }
  if (name === "nats" || name === "all") {
    const { benchNats } = await import("./nats");
    await benchNats({ rulesDir, sessions: num("--sessions") ?? 200_000, batch: num("--batch") ?? 1000 });
  }
  if (name === "ui" || name === "all") {
    const { benchUi } = await import("./ui");
    await benchUi();
  }
  if (name === "test-panel" || name === "all") {
    const { benchTestPanel } = await import("./test-panel");
    await benchTestPanel(rulesDir);
  }
  if (name === "editor" || name === "all") {
    const { benchEditor } = await import("./editor");
    await benchEditor();
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
