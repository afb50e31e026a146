import type { ChangeEvent, RuleChange, SubscribeOptions } from "./types";

export const DEFAULT_MAX_BUFFERED = 10_000;

interface Subscriber {
  queue: ChangeEvent[];
  /** Pending reader waiting for the next change. */
  wake: (() => void) | null;
  overflowed: boolean;
  done: boolean;
  max: number;
}

/**
 * Fan-out of store changes to async-iterator subscribers. Registration is synchronous; each
 * subscriber has a bounded queue, and one that overflows gets a single resync marker (its queue
 * is dropped) instead of growing without bound.
 */
export class ChangeHub {
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;

  get size(): number {
    return this.subscribers.size;
  }

  publish(change: RuleChange): void {
    for (const sub of this.subscribers) {
      if (sub.overflowed) continue;
      if (sub.queue.length >= sub.max) {
        sub.queue = [{ kind: "resync", reason: `subscriber fell more than ${sub.max} changes behind; reload` }];
        sub.overflowed = true;
      } else {
        sub.queue.push(change);
      }
      const wake = sub.wake;
      sub.wake = null;
      wake?.();
    }
  }

  /** Ends every subscription (their iterators finish after draining what is queued). */
  close(): void {
    this.closed = true;
    for (const sub of this.subscribers) {
      sub.done = true;
      const wake = sub.wake;
      sub.wake = null;
      wake?.();
    }
    this.subscribers.clear();
  }

  subscribe(options: SubscribeOptions = {}): AsyncIterableIterator<ChangeEvent> {
    const sub: Subscriber = {
      queue: [],
      wake: null,
      overflowed: false,
      done: this.closed,
      max: options.maxBuffered ?? DEFAULT_MAX_BUFFERED,
    };
    if (!this.closed) this.subscribers.add(sub);
    const finish = (): void => {
      sub.done = true;
      sub.queue = [];
      this.subscribers.delete(sub);
      const wake = sub.wake;
      sub.wake = null;
      wake?.();
    };
    const signal = options.signal;
    const onAbort = (): void => finish();
    if (signal) {
      if (signal.aborted) finish();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
    const iterator: AsyncIterableIterator<ChangeEvent> = {
      next: async (): Promise<IteratorResult<ChangeEvent>> => {
        for (;;) {
          const item = sub.queue.shift();
          if (item !== undefined) {
            if (item.kind === "resync") sub.overflowed = false;
            return { value: item, done: false };
          }
          if (sub.done) {
            signal?.removeEventListener("abort", onAbort);
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => {
            sub.wake = resolve;
          });
        }
      },
      return: async (): Promise<IteratorResult<ChangeEvent>> => {
        finish();
        signal?.removeEventListener("abort", onAbort);
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}

/** `first` items, then everything `rest` yields; return() ends both. */
export function prependEvents(first: ChangeEvent[], rest: AsyncIterableIterator<ChangeEvent>): AsyncIterableIterator<ChangeEvent> {
  const queue = [...first];
  let ended = false;
  const iterator: AsyncIterableIterator<ChangeEvent> = {
    next: async (): Promise<IteratorResult<ChangeEvent>> => {
      if (ended) return { value: undefined, done: true };
      const item = queue.shift();
      if (item !== undefined) return { value: item, done: false };
      return rest.next();
    },
    return: async (): Promise<IteratorResult<ChangeEvent>> => {
      ended = true;
      queue.length = 0;
      await rest.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
