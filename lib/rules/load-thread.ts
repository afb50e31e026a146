// Entry point of a rule-loading thread (see load-pool.ts): validates the chunks of rule files it
// is sent, exactly as in-process (parseRuleFile), and answers each file's issues and, for a valid
// rule, its definition JSON (the compiled rule itself holds closures and cannot be posted).
import { parentPort } from "node:worker_threads";
import { definitionJson } from "./definition";
import { parseRuleFile } from "./rule-files";
import type { LoadJob, LoadReply } from "./load-pool";

const port = parentPort;
if (port) {
  port.on("message", (job: LoadJob) => {
    let reply: LoadReply;
    try {
      reply = {
        id: job.id,
        ok: true,
        results: job.files.map((file) => {
          const parsed = parseRuleFile(file);
          return { issues: parsed.issues, definition: parsed.rule ? definitionJson(parsed.rule) : null };
        }),
      };
    } catch (err) {
      reply = { id: job.id, ok: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    port.postMessage(reply);
  });
}
