import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "../logger";

// The thread: its own connection, a PASSIVE checkpoint every interval (never waits for the writer
// nor blocks it; busy_timeout 0, so a checkpoint already running elsewhere is simply skipped).
const THREAD = `
const { workerData, parentPort } = require("node:worker_threads");
const Database = require(workerData.sqlite);
const stop = new Int32Array(workerData.stop);
let db = null;
let failing = false;
while (Atomics.load(stop, 0) === 0) {
  try {
    if (db === null) {
      db = new Database(workerData.file, { fileMustExist: true });
      db.pragma("busy_timeout = 0");
    }
    db.pragma("wal_checkpoint(PASSIVE)");
    failing = false;
  } catch (err) {
    if (!failing) parentPort.postMessage(String(err && err.message ? err.message : err));
    failing = true;
    try { db?.close(); } catch {}
    db = null;
  }
  Atomics.wait(stop, 0, 0, workerData.intervalMs);
}
try { db?.close(); } catch {}
`;

function selfPath(): string {
  if (typeof __filename === "string") return __filename;
  return fileURLToPath(import.meta.url);
}

/**
 * Checkpoints an SQLite file's WAL on a helper thread, so the worker's event loop does not copy
 * WAL pages into the database file and fsync it inside a tag transaction (SQLite's automatic
 * checkpoint, which stays on as the backstop should this thread fall behind). Starts a thread.
 */
export class WalCheckpointer {
  private readonly stopFlag = new SharedArrayBuffer(4);
  private readonly thread: Worker;
  private readonly exited: Promise<void>;

  constructor(file: string, options: { intervalMs?: number; logger: Logger }) {
    const sqlite = createRequire(selfPath()).resolve("better-sqlite3");
    this.thread = new Worker(THREAD, { eval: true, workerData: { file, sqlite, stop: this.stopFlag, intervalMs: options.intervalMs ?? 50 } });
    this.thread.on("message", (m: string) => options.logger.debug("WAL checkpoint failed; the connection's own checkpoints go on", { error: m }));
    this.thread.on("error", (err) => options.logger.warn("WAL checkpoint thread failed; the connection's own checkpoints go on", { error: err.message }));
    this.thread.unref();
    this.exited = new Promise((resolve) => this.thread.once("exit", () => resolve()));
  }

  /** Stops the thread (after the checkpoint it may be running) and closes its connection. */
  async stop(): Promise<void> {
    const flag = new Int32Array(this.stopFlag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    await this.exited;
  }
}
