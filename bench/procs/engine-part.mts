// Child process for the engine benchmark: one measurement (bench/engine.ts runEnginePart) in a
// fresh heap and JIT state; prints its result as one JSON line.
import { ENGINE_PARTS, runEnginePart, type EnginePart } from "../engine";

const [part, rulesDir = "rules/ttp"] = process.argv.slice(2);
if (!part || !(ENGINE_PARTS as readonly string[]).includes(part)) {
  process.stderr.write(`usage: engine-part <${ENGINE_PARTS.join("|")}> [rules dir]\n`);
  process.exit(1);
}
const result = await runEnginePart(part as EnginePart, rulesDir);
process.stdout.write(JSON.stringify(result) + "\n");
