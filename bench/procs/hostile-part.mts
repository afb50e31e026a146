// Child process for the hostile-draft benchmark: parseRule of one corpus draft, CPU time of each
// run (process.cpuUsage; median of 3, or 1 run when it exceeds 2 s); prints one JSON line.
import { parseRule } from "../../lib/rules/parse-rule";
import { HOSTILE_DRAFTS } from "../../lib/rules/testing/hostile-drafts";

const name = process.argv[2];
const draft = HOSTILE_DRAFTS.find((d) => d.name === name);
if (!draft) {
  process.stderr.write(`usage: hostile-part <${HOSTILE_DRAFTS.map((d) => d.name).join("|")}>\n`);
  process.exit(1);
}
const text = draft.yaml();
const cpuMs: number[] = [];
let verdict = "";
for (let i = 0; i < 3; i++) {
  const before = process.cpuUsage();
  const { rule, issues } = parseRule(text, { source: draft.name });
  const used = process.cpuUsage(before);
  cpuMs.push((used.user + used.system) / 1000);
  const first = issues.find((x) => x.severity === "error");
  verdict = rule ? "accepted" : `refused: ${first?.message.slice(0, 70) ?? "?"}${issues.length > 1 ? ` (+${issues.length - 1})` : ""}`;
  if ((cpuMs[i] as number) > 2000) break;
}
process.stdout.write(JSON.stringify({ name: draft.name, bytes: Buffer.byteLength(text, "utf8"), cpuMs, verdict }) + "\n");
