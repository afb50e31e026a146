import { benchEngine, COMMAND_RULES_DIR } from "./engine";

const USAGE =
  "usage: npm run bench -- <engine|store|swarm|nats|cli|ui|live|test-panel|editor|hostile|tag-store|all> [--rules <dir>] [--command-rules <dir>] [--workers n] [--changes n] [--events n] [--threads n] [--sessions n] [--batch n] [--repeats n] [--rules-count n] [--corpus-only|--flood-only] [--tabs n] [--rate n] [--seconds n] [--no-build]";

async function main(argv: string[]): Promise<number> {
  const [name = "all", ...rest] = argv;
  const rulesIdx = rest.indexOf("--rules");
  const rulesDir = rulesIdx >= 0 ? (rest[rulesIdx + 1] ?? "rules/ttp") : "rules/ttp";
  // Figures measured on "the sample pack's command rules" (engine (a), swarm) use a pinned copy.
  const cmdIdx = rest.indexOf("--command-rules");
  const commandRulesDir = cmdIdx >= 0 ? (rest[cmdIdx + 1] ?? COMMAND_RULES_DIR) : COMMAND_RULES_DIR;
  const known = ["engine", "store", "swarm", "nats", "cli", "ui", "live", "test-panel", "editor", "hostile", "tag-store", "all"];
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
  if (name === "engine" || name === "all") await benchEngine(rulesDir, commandRulesDir);
  if (name === "store" || name === "all") {
    const { benchStore } = await import("./store");
    await benchStore();
  }
  if (name === "swarm" || name === "all") {
    const { benchSwarm } = await import("./swarm");
    const opts = { rulesDir: commandRulesDir, workers: num("--workers"), changes: num("--changes"), events: num("--events"), threads: num("--threads") };
    await benchSwarm(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
  }
  if (name === "nats" || name === "all") {
    const { benchNats } = await import("./nats");
    await benchNats({ rulesDir, sessions: num("--sessions") ?? 200_000, batch: num("--batch") ?? 1000, repeats: num("--repeats") ?? 1 });
  }
  if (name === "tag-store" || name === "all") {
    const { benchTagStore } = await import("./tag-store");
    await benchTagStore({ rulesDir, sessions: num("--sessions") ?? 200_000, batch: num("--batch") ?? 1000 });
  }
  if (name === "cli" || name === "all") {
    const { benchCli } = await import("./cli");
    const opts = { events: num("--events"), rules: num("--rules-count") };
    await benchCli(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
  }
  if (name === "ui" || name === "all") {
    const { benchUi } = await import("./ui");
    await benchUi();
  }
  if (name === "live" || name === "all") {
    const { benchLive } = await import("./live");
    await benchLive({ tabs: num("--tabs"), rate: num("--rate"), seconds: num("--seconds"), build: !rest.includes("--no-build") });
  }
  if (name === "test-panel" || name === "all") {
    const { benchTestPanel } = await import("./test-panel");
    await benchTestPanel(rulesDir);
  }
  if (name === "editor" || name === "all") {
    const { benchEditor } = await import("./editor");
    await benchEditor();
  }
  if (name === "hostile" || name === "all") {
    const { benchHostile } = await import("./hostile");
    await benchHostile(rest);
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
