import type { Engine } from "../engine/engine";
import type { TtpEvent } from "../engine/types";
import { BufferRecycler } from "./buffers";
import { OUTPUT_BYTES, type EvalPool } from "./eval-pool";
import { evaluateBlock, evaluateEvents, traceThreadResult, type BlockResult, type EvaluateOptions, type TextBlock } from "./evaluate-block";

/** Read size of file input: one block is about this much text. */
export const READ_BYTES = 128 * 1024;
/** Input block memory: a read plus the carried-over start of a line. */
export const INPUT_BYTES = READ_BYTES + 64 * 1024;

/** Block memory for a pipeline: the pool's input buffers come back with its results; output buffers come back once written. */
export interface BlockMemory {
  input: BufferRecycler;
  /** Output buffers of main-thread evaluation (null with a pool: the threads own theirs). */
  output: BufferRecycler | null;
  /** Hands a result's `jsonl` back once it has been written. */
  release(bytes: Uint8Array): void;
}

export function blockMemory(pool: EvalPool | null): BlockMemory {
  const output = pool ? null : new BufferRecycler(OUTPUT_BYTES, 8);
  return {
    input: pool ? pool.input : new BufferRecycler(INPUT_BYTES, 4),
    output,
    release: (bytes) => (pool ? pool.recycleOutput(bytes) : output?.give(bytes)),
  };
}

export interface EvaluateBlocksOptions {
  engine: Engine;
  pool: EvalPool | null;
  evaluate: EvaluateOptions;
  memory: BlockMemory;
  /**
   * Called for every block's result, in input order; awaited (backpressure). `block` is the input
   * block the result came from when `ownBlocks` is set (an input that acknowledges or checkpoints a
   * block once its tags are durable needs it; its bytes may already be recycled), else undefined.
   */
  handle(result: BlockResult, restart: boolean | undefined, block: TextBlock | undefined): Promise<void>;
  /** Hand each block to `handle` (NATS input, --checkpoint). */
  ownBlocks?: boolean;
  /**
   * The events of a block that carries them already parsed (NATS input on this thread): evaluated
   * with evaluateEvents, no JSON round trip; its bytes are not block memory. Only consulted without
   * a pool: for evaluation threads such an input must yield text blocks.
   */
  eventsOf?: (block: TextBlock) => readonly TtpEvent[] | undefined;
  /** Checked after each block: true ends the loop early (a fatal failure elsewhere). */
  stopped?: () => boolean;
}

/**
 * Evaluates blocks of JSON Lines in input order: on this thread (yielding to the event loop every
 * 10 ms so other I/O keeps moving), or on the pool's threads with at most two blocks in flight per
 * thread (eight per thread not yet handled), results handled in order as soon as each is ready.
 * Throws what `handle` or the pool throws.
 */
export async function evaluateBlocks(input: AsyncIterable<TextBlock>, o: EvaluateBlocksOptions): Promise<void> {
  const stopped = o.stopped ?? (() => false);
  const pool = o.pool;
  if (pool) {
    // A thread is kept two blocks ahead. Results are handled in input order, so a block that takes
    // longer holds back the results after it (bounded by maxPending), not the other threads.
    const maxInThreads = pool.size * 2;
    const maxPending = pool.size * 8;
    let inThreads = 0;
    let pending = 0;
    let wake: (() => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const threadDone = (): void => {
      inThreads--;
      notify();
    };
    let chain: Promise<void> = Promise.resolve();
    for await (const block of input) {
      const restart = block.restart;
      const own = o.ownBlocks ? block : undefined;
      const result = pool.submit(block);
      // Awaited in order on the chain; a pool failure must not surface as an unhandled rejection.
      result.then(threadDone, threadDone);
      inThreads++;
      pending++;
      chain = chain.then(async () => {
        try {
          const r = await result;
          traceThreadResult(r);
          await o.handle(r, restart, own);
        } finally {
          pending--;
          notify();
        }
      });
      chain.catch(() => undefined);
      while ((inThreads >= maxInThreads || pending >= maxPending) && !stopped()) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (stopped()) break;
    }
    await chain;
    return;
  }
  let lastYield = performance.now();
  for await (const block of input) {
    const events = o.eventsOf?.(block);
    let result: BlockResult;
    if (events) {
      result = evaluateEvents(events, o.engine, o.evaluate, o.memory.output);
    } else {
      result = evaluateBlock(block, o.engine, o.evaluate, o.memory.output);
      o.memory.input.give(block.bytes);
    }
    await o.handle(result, block.restart, o.ownBlocks ? block : undefined);
    if (stopped()) break;
    // Buffered input resolves without an event-loop turn: give other I/O (the rule feed) a turn now and then.
    if (performance.now() - lastYield > 10) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }
}
