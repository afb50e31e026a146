import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";
import { TtpError } from "../errors";
import { PACK_SOURCE, type PackLimits, type RulePackEntries } from "./pack-zip";
import type { UnzipJob, UnzipReply } from "./unzip-thread";

export interface OffThreadOptions {
  /** A thread still unpacking after this long is stopped and the archive refused; default 20 s. */
  timeoutMs?: number;
  /** Archives unpacked at once in this process; one more is refused with BUSY. Default 2. */
  maxConcurrent?: number;
}

// Typed arrays live outside this heap; it holds the decoded texts (at most MAX_PACK_UNPACKED_BYTES).
const LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 384, maxYoungGenerationSizeMb: 32 };

let running = 0;

/** This module's own TypeScript file when it runs from source (tsx, vitest), else null. */
function sourceFile(): string | null {
  const self = typeof __filename === "string" ? __filename : fileURLToPath(import.meta.url);
  // In the Next.js bundle this names the source under a virtual root ("/ROOT/lib/…"), which does not exist.
  return self.endsWith(".ts") && existsSync(self) ? self : null;
}

/**
 * Starts the unzip thread. From source, the .ts entry is loaded through tsx's require hook; in the
 * Next.js build the bundler sees `new Worker(new URL(…, import.meta.url))` and emits the thread as
 * a chunk of its own, so the entry resolves under `next start` too.
 */
function spawnUnzipThread(): Worker {
  const source = sourceFile();
  if (source) {
    const entry = path.join(path.dirname(source), "unzip-thread.ts");
    const tsx = createRequire(source).resolve("tsx/cjs");
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { eval: true, resourceLimits: LIMITS });
  }
  return new Worker(new URL("./unzip-thread.ts", import.meta.url), { resourceLimits: LIMITS });
}

/**
 * readRulePackZip (pack-zip.ts) in a thread of its own, so a hostile archive never blocks the
 * event loop: the thread is stopped after `timeoutMs` (the archive is then refused with an issue).
 * Throws BUSY when `maxConcurrent` archives are already being unpacked, INTERNAL when the thread fails.
 */
export async function readRulePackZipOffThread(bytes: Uint8Array, limits: PackLimits, options: OffThreadOptions = {}): Promise<RulePackEntries> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  if (running >= (options.maxConcurrent ?? 2)) throw new TtpError("BUSY", "Other rule packs are being unpacked right now; try again in a moment.");
  running++;
  let worker: Worker | null = null;
  try {
    worker = spawnUnzipThread();
    const thread = worker;
    return await new Promise<RulePackEntries>((resolve, reject) => {
      const timer = setTimeout(() => {
        resolve({ files: [], ignored: [], inflatedBytes: 0, issues: [{ source: PACK_SOURCE, path: [], line: 1, column: 1, message: `unpacking took longer than ${timeoutMs / 1000} s and was stopped`, severity: "error" }] });
      }, timeoutMs);
      timer.unref();
      const done = (f: () => void) => {
        clearTimeout(timer);
        f();
      };
      thread.once("message", (reply: UnzipReply) => done(() => (reply.ok ? resolve(reply.entries) : reject(new TtpError("INTERNAL", `Unpacking the archive failed: ${reply.message}`)))));
      thread.once("error", (err) => done(() => reject(new TtpError("INTERNAL", `The unzip thread failed: ${err.message}`, { cause: err }))));
      thread.once("exit", (code) => done(() => reject(new TtpError("INTERNAL", `The unzip thread exited with code ${code} before answering`))));
      const job: UnzipJob = { bytes, limits };
      thread.postMessage(job);
    });
  } finally {
    running--;
    if (worker) void worker.terminate();
  }
}
