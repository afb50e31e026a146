// Entry point of an evaluation thread (see eval-pool.ts): mirrors the rule set by replaying
// rule ops in order and evaluates the blocks it is sent, in order.
import { parentPort, workerData } from "node:worker_threads";

import { BufferRecycler } from "./buffers";
import { evaluateBlock } from "./evaluate-block";
import { applyOp } from "./rule-ops";
import { createWorkerEngine } from "./worker-engine";
import type { FromThread, ThreadData, ToThread } from "./eval-pool";

const port = parentPort;
if (port) {
  const { evaluate: options, outputBytes, engine: engineOptions } = workerData as ThreadData;
  const engine = createWorkerEngine(engineOptions);
  const output = new BufferRecycler(outputBytes);
  port.on("message", (m: ToThread) => {
    let reply: FromThread;
    let transfer: ArrayBuffer[] = [];
    try {
      if (m.type === "recycle") {
        output.give(m.buffer);
        return;
      }
      if (m.type === "op") {
        applyOp(engine, m.op);
        reply = { type: "ack", id: m.id };
      } else {
        const result = evaluateBlock(m.block, engine, options, output);
        // Moved, not copied: the main thread writes the output as is and reuses the input memory.
        const input = m.block.bytes.buffer as ArrayBuffer;
        transfer = [input];
        if (result.jsonl.byteLength > 0) transfer.push(result.jsonl.buffer as ArrayBuffer);
        reply = { type: "result", id: m.id, result, input };
      }
    } catch (err) {
      reply = { type: "error", id: m.type === "recycle" ? 0 : m.id, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    port.postMessage(reply, transfer);
  });
}
