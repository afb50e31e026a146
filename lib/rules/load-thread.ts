// Entry point of a rule-loading thread (see load-pool.ts): reads (unless sent their texts) and
// validates the chunks of rule files it is sent, exactly as in-process (parseRuleFile), and answers
// each file's text, issues and, for a valid rule, its definition JSON (the compiled rule itself
// holds closures and cannot be posted). A file it cannot read fails the job: the main thread then
// validates it and reports the error.
import { parentPort } from "node:worker_threads";
import { definitionJson } from "./definition";
import { parseRuleFile, ruleFilesAt } from "./rule-files";
import type { LoadJob, LoadReply } from "./load-pool";

const port = parentPort;
if (port) {
  port.on("message", (job: LoadJob) => {
    let reply: LoadReply;
    try {
      reply = {
        id: job.id,
        ok: true,
        results: ruleFilesAt(job.paths, job.texts).map((file) => {
          const parsed = parseRuleFile(file);
          return { text: job.texts === null ? file.text : null, issues: parsed.issues, definition: parsed.rule ? definitionJson(parsed.rule) : null };
        }),
      };
    } catch (err) {
      reply = { id: job.id, ok: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    port.postMessage(reply);
  });
}
