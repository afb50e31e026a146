import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { assertBuilt, buildApp, createTempDatabase, distDir, prepareDatabase, startServer, type AppServer } from "./app-server";
import { ENV_BASE_URL, ENV_DATABASE_URL } from "./run-env";

const E2E = path.resolve(__dirname, "..");
const DAY_MS = 86_400_000;

/** Artefacts and server logs of runs older than a day (each run has its own, see playwright.config.ts). */
function pruneOldRuns(): void {
  for (const dir of [path.join(E2E, "test-results"), path.join(E2E, "logs")]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (Date.now() - statSync(p).mtimeMs > DAY_MS) rmSync(p, { recursive: true, force: true });
    }
  }
}

/**
 * Once per `playwright test`: build (unless TTP_E2E_SKIP_BUILD=1) while a temp database is
 * prepared with the CLI, then serve it with `next start`. The returned function is the teardown;
 * a process "exit" hook covers runs that end without it.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const db = createTempDatabase();
  let server: AppServer | null = null;
  const onExit = (): void => {
    server?.killNow();
    db.remove();
  };
  process.once("exit", onExit);
  const teardown = async (): Promise<void> => {
    try {
      await server?.stop();
    } finally {
      db.remove();
      process.off("exit", onExit);
    }
  };
  try {
    const skipBuild = process.env.TTP_E2E_SKIP_BUILD === "1";
    const [built] = await Promise.all([skipBuild ? (assertBuilt(), null) : buildApp(), prepareDatabase(db.url)]);
    pruneOldRuns();
    const logFile = path.join(E2E, "logs", `next-server-${process.env.TTP_E2E_RUN_ID ?? process.pid}.log`);
    server = await startServer({ databaseUrl: db.url, logFile });
    console.log(`e2e: ${built ? `built ${distDir()} in ${(built.ms / 1000).toFixed(1)} s` : `reusing ${distDir()}`}, serving ${server.baseURL} (log: ${path.relative(process.cwd(), logFile)})`);
  } catch (err) {
    await teardown();
    throw err;
  }
  // Workers are started after global setup and inherit these.
  process.env[ENV_BASE_URL] = server.baseURL;
  process.env[ENV_DATABASE_URL] = db.url;
  return teardown;
}
