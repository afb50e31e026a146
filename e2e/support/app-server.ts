// The dashboard as the specs and the UI benchmark see it: a production build, a throwaway SQLite
// database prepared with the real `ttp` CLI, and `next start` on a free port.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { runCli, type CliResult } from "../../bin/testing/run-cli";
import { USERS } from "./users";

export const ROOT = path.resolve(__dirname, "../..");
const NEXT_BIN = path.join(ROOT, "node_modules/next/dist/bin/next");

/** Environment for everything started here: ours, without any TTP_* setting inherited from the caller's shell. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...extra };
  for (const k of Object.keys(env)) if ((k.startsWith("TTP_") || k === "DATABASE_URL") && !(k in extra)) delete env[k];
  return env;
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * `next build` into .next; rejects with the end of the build output when it fails. With another
 * dist dir (NEXT_DIST_DIR) Next.js adds `<dir>/types` to tsconfig.json's include; the committed
 * file is put back afterwards so a benchmark or a parallel build never leaves it changed.
 */
export async function buildApp(): Promise<{ ms: number }> {
  const tsconfig = path.join(ROOT, "tsconfig.json");
  const before = readFileSync(tsconfig, "utf8");
  try {
    return await runNextBuild();
  } finally {
    if (readFileSync(tsconfig, "utf8") !== before) writeFileSync(tsconfig, before);
  }
}

function runNextBuild(): Promise<{ ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, "build"], { cwd: ROOT, env: cleanEnv({}), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve({ ms: Date.now() - started });
      else reject(new Error(`next build failed (exit ${code}):\n${tail(out)}`));
    });
  });
}

/** Where `next build` writes and `next start` reads: next.config.mjs honours NEXT_DIST_DIR (parallel checkouts of work use their own). */
export function distDir(): string {
  return process.env.NEXT_DIST_DIR || ".next";
}

export function assertBuilt(): void {
  if (!existsSync(path.join(ROOT, distDir(), "BUILD_ID"))) throw new Error(`no production build in ${distDir()}: run without TTP_E2E_SKIP_BUILD (or \`npm run build\`) first`);
}

export interface TempDatabase {
  dir: string;
  url: string;
  remove(): void;
}

export function createTempDatabase(prefix = "ttp-e2e-"): TempDatabase {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, url: `file:${path.join(dir, "ttp.db")}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The real CLI in its own process against `databaseUrl`; rejects unless it exits 0. */
export async function ttp(databaseUrl: string, args: string[], input?: string): Promise<CliResult> {
  const r = await runCli(args, { env: { DATABASE_URL: databaseUrl, TTP_RULE_STORE: "database" }, ...(input === undefined ? {} : { input }) });
  if (r.code !== 0) throw new Error(`ttp ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

/** Imports a rules directory and creates the e2e users (admin, viewer, throttled). */
export async function prepareDatabase(databaseUrl: string, rulesDir = path.join(ROOT, "rules/ttp")): Promise<void> {
  await ttp(databaseUrl, ["rules", "import", rulesDir, "--by", "e2e-setup"]);
  for (const u of Object.values(USERS)) await ttp(databaseUrl, ["user", "add", u.username, "--role", u.role, "--password-stdin"], u.password);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export interface AppServer {
  baseURL: string;
  logFile: string;
  /** SIGTERM to the server's process group, SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** Synchronous last resort for process "exit" handlers. */
  killNow(): void;
}

export interface StartOptions {
  databaseUrl: string;
  logFile: string;
  /** Extra dashboard settings (TTP_REQUIRE_REASON, TTP_MAX_EXPIRY, …). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

/** `next start` on a free port of 127.0.0.1, resolved once /login answers 200. */
export async function startServer(options: StartOptions): Promise<AppServer> {
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, "w");
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: ROOT,
      // Own process group, so stop() reaches anything next start forks.
      detached: true,
      stdio: ["ignore", logFd, logFd],
      env: cleanEnv({
        NODE_ENV: "production",
        DATABASE_URL: options.databaseUrl,
        TTP_RULE_STORE: "database",
        TTP_COOKIE_SECURE: "never",
        TTP_LOG_LEVEL: "info",
        ...options.env,
      }),
    });
  } finally {
    closeSync(logFd);
  }
  let exited: string | null = null;
  const exitP = new Promise<void>((resolve) =>
    child.on("exit", (code, signal) => {
      exited = `exit ${code ?? signal}`;
      resolve();
    }),
  );
  const signalGroup = (sig: NodeJS.Signals): void => {
    if (exited !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  };
  const server: AppServer = {
    baseURL,
    logFile: options.logFile,
    async stop() {
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), 5_000);
      await exitP;
      clearTimeout(timer);
    },
    killNow: () => signalGroup("SIGKILL"),
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== null) throw new Error(`next start stopped (${exited}) before answering:\n${tail(readFileSync(options.logFile, "utf8"))}`);
    try {
      const res = await fetch(`${baseURL}/login`, { redirect: "manual" });
      if (res.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`next start did not answer on ${baseURL}/login within the timeout:\n${tail(readFileSync(options.logFile, "utf8"))}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
