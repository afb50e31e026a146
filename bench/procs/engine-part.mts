// Child process for the engine benchmark: one measurement (bench/engine.ts runEnginePart) in a
// fresh heap and JIT state; prints its result as one JSON line.
import { COMMAND_RULES_DIR, ENGINE_PARTS, runEnginePart, type EnginePart } from "../engine";

// --print: the part's human-readable lines (results.*_lines) instead of the JSON line, e.g. to run
// figure (d) alone: node --import tsx bench/procs/engine-part.mts d --print
const args = process.argv.slice(2);
const print = args.includes("--print");
const [part, dir] = args.filter((a) => a !== "--print");
if (!part || !(ENGINE_PARTS as readonly string[]).includes(part)) {
  process.stderr.write(`usage: engine-part <${ENGINE_PARTS.join("|")}> [rules dir] [--print]\n`);
  process.exit(1);
}
// Default: the (a) parts on the pinned command rules, the others on the sample pack.
const rulesDir = dir ?? (part.startsWith("a") ? COMMAND_RULES_DIR : "rules/ttp");
const result = await runEnginePart(part as EnginePart, rulesDir);
if (print) {
  const lines = Object.entries(result.results).flatMap(([k, v]) => (k.endsWith("_line") ? [String(v)] : k.endsWith("_lines") && Array.isArray(v) ? v.map(String) : []));
  process.stdout.write((lines.length > 0 ? lines.join("\n") : JSON.stringify(result)) + "\n");
} else {
  process.stdout.write(JSON.stringify(result) + "\n");
}
