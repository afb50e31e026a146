// `npm start`: prepares the embedded database (migrations, sample rule pack and first admin on first run), builds
// the dashboard when no build exists, then serves it with `next start`.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { migrateDatabase } from "../db/open-database";
import { loadRulesDir } from "../lib/rules/rule-files";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { parseDashboardEnv } from "../lib/config/env";
import { buildNeeded } from "./build-freshness";
import { ConfigError, parseEnv } from "./config";
import { tightenPrivateFiles } from "./private-files";
import { seedFirstAdmin } from "./seed-admin";

const ROOT = path.resolve(__dirname, "..");

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => child.kill(sig));
  });
}

async function main(): Promise<number> {
  const env = parseEnv();
  // Refuse bad dashboard settings here, with the variable named, rather than on the first request.
  const dashboard = parseDashboardEnv(process.env);
  const passwordFile = path.join(ROOT, "data", "initial-admin-password");
  // An install from before data/ was private: narrow the modes before anything opens the files.
  const tightened = tightenPrivateFiles({ dataDir: path.join(ROOT, "data"), databaseUrl: env.DATABASE_URL, passwordFile });
  if (tightened !== null) console.log(tightened);
  if (env.TTP_RULE_STORE === "database") {
    await migrateDatabase(env.DATABASE_URL);
    const store = new DatabaseRuleStore({ url: env.DATABASE_URL, expiry: false });
    try {
      await store.ready();
      if ((await store.listRules()).length === 0 && existsSync(env.TTP_RULES_DIR)) {
        const pack = await loadRulesDir(env.TTP_RULES_DIR);
        for (const rule of pack.rules) {
          const file = pack.files.get(rule.ruleId);
          if (file) await store.upsertRule(file.text, { actor: "system:first-run", origin: "filesystem", sourcePath: file.path });
        }
        console.log(`first run: imported ${pack.rules.length} rules from ${env.TTP_RULES_DIR}`);
      }
    } finally {
      await store.close();
    }
  }
  // Users live in DATABASE_URL whatever TTP_RULE_STORE says.
  await seedFirstAdmin(env.DATABASE_URL, { adminPassword: env.TTP_ADMIN_PASSWORD, passwordFile });
  const nextBin = path.join(ROOT, "node_modules/next/dist/bin/next");
  const why = buildNeeded(ROOT);
  if (why !== null) {
    console.log(`building the dashboard: ${why}`);
    const code = await run(process.execPath, [nextBin, "build"]);
    if (code !== 0) return code;
  }
  return run(process.execPath, [nextBin, "start", "-p", String(dashboard.PORT)]);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ttp start: ${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(err instanceof ConfigError ? 1 : 2);
  },
);
