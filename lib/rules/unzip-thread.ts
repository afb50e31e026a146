// Entry of the thread readRulePackZipOffThread starts: one archive in, its entries out, then exit.
import { parentPort } from "node:worker_threads";
import { readRulePackZip, type PackLimits, type RulePackEntries } from "./pack-zip";

export interface UnzipJob {
  bytes: Uint8Array;
  limits: PackLimits;
}

export type UnzipReply = { ok: true; entries: RulePackEntries } | { ok: false; message: string };

parentPort?.once("message", (job: UnzipJob) => {
  let reply: UnzipReply;
  try {
    reply = { ok: true, entries: readRulePackZip(job.bytes, job.limits) };
  } catch (err) {
    reply = { ok: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  parentPort?.postMessage(reply);
});
