import { errorMessage } from "../errors";
import { silentLogger, type Logger } from "../logger";
import type { ChangeEvent, RuleStore } from "./types";

/** One client of the hub (an open `/api/events` stream); the hub calls it synchronously and never waits on it. */
export interface LiveClient<T> {
  /** Queues one payload; returns false when the client's bounded queue is full (the hub then drops the client and closes it). */
  push(payload: T): boolean;
  /** The hub dropped this client: its queue overflowed, the feed said resync, or the hub stopped. It should end its stream (the browser reconnects with its last id). */
  close(reason: LiveCloseReason): void;
}

export type LiveCloseReason = "overflow" | "resync" | "stopped";

export interface LiveHubOptions<T> {
  store: Pick<RuleStore, "subscribeChanges" | "headSeq">;
  /** Turns a change into what every client receives (done once per change, shared by all clients); null skips it. */
  encode(change: ChangeEvent): Promise<T | null>;
  logger?: Logger;
  /** Recent changes kept for clients that resume (default 1000). */
  ringSize?: number;
  /** Changes a client resuming from before the ring may be sent from the feed before it is told to reload instead (default 1000). */
  maxCatchUp?: number;
  /** Hub items queued for a client while its catch-up read runs, before it is dropped (default 1000). */
  maxPending?: number;
  /** How long the feed subscription outlives the last client, so reloads and reconnects find the ring warm (default 30 s; 0 stops at once). */
  lingerMs?: number;
}

export interface AttachOptions {
  /** The last seq the client saw (`Last-Event-ID`); null for a client that only wants what comes next. */
  lastSeq: number | null;
  signal: AbortSignal;
}

export interface LiveHubStats {
  /** Feed subscriptions opened on the store so far: the hub's own (one per start) plus one per catch-up. */
  feedSubscriptions: number;
  /** Catch-ups served from the feed (a client resumed from before the ring). */
  catchUps: number;
  /** Clients dropped because their queue overflowed. */
  overflows: number;
  clients: number;
  running: boolean;
}

interface Item<T> {
  seq: number | null;
  payload: T;
}

interface Member<T> {
  client: LiveClient<T>;
  run: Run<T>;
  /** Hub items held back while the client catches up (null once it is live). */
  pending: Item<T>[] | null;
  /** Items with a seq at or below this were already sent (or the client had them). */
  sentUpTo: number | null;
  closed: boolean;
}

interface Run<T> {
  abort: AbortController;
  ring: Item<T>[];
  /** The ring holds every change with seq > coveredFrom up to position. */
  coveredFrom: number;
  /** Seq of the last change the hub's subscription yielded (its start head before the first). */
  position: number;
  done: Promise<void>;
}

/**
 * One change-feed subscription per process shared by every client: each change is encoded once
 * and pushed to every client's bounded queue; a full queue drops that client, never the hub. A
 * client resuming from a seq the ring still covers gets the ring's tail; from an older seq, the
 * missed changes read from the feed (`subscribeChanges({ fromSeq })`), or a resync when more than
 * maxCatchUp were missed; from a seq beyond the feed's head (another process's numbering), a
 * resync. Starts with the first client, stops lingerMs after the last one leaves.
 */
export class LiveHub<T> {
  private readonly store: LiveHubOptions<T>["store"];
  private readonly encode: LiveHubOptions<T>["encode"];
  private readonly logger: Logger;
  private readonly ringSize: number;
  private readonly maxCatchUp: number;
  private readonly maxPending: number;
  private readonly lingerMs: number;
  private readonly members = new Set<Member<T>>();
  private run: Run<T> | null = null;
  private starting: Promise<Run<T>> | null = null;
  private linger: ReturnType<typeof setTimeout> | null = null;
  private resyncPayload: Promise<T | null> | null = null;
  private readonly counters = { feedSubscriptions: 0, catchUps: 0, overflows: 0 };

  constructor(options: LiveHubOptions<T>) {
    this.store = options.store;
    this.encode = options.encode;
    this.logger = options.logger ?? silentLogger;
    this.ringSize = Math.max(1, options.ringSize ?? 1000);
    this.maxCatchUp = Math.max(1, options.maxCatchUp ?? 1000);
    this.maxPending = Math.max(1, options.maxPending ?? 1000);
    this.lingerMs = Math.max(0, options.lingerMs ?? 30_000);
  }

  stats(): LiveHubStats {
    return { ...this.counters, clients: this.members.size, running: this.run !== null };
  }

  /**
   * Adds a client until `signal` aborts (or the hub closes it); resolves once it is live. Rejects
   * when the feed's head cannot be read (the client is not added).
   */
  async attach(client: LiveClient<T>, options: AttachOptions): Promise<void> {
    const { signal } = options;
    if (signal.aborted) return;
    this.cancelLinger();
    let run: Run<T>;
    try {
      // A stop racing this attach may abort the run it got: then start the next one.
      do run = await this.ensureRun();
      while (run.abort.signal.aborted && !signal.aborted);
    } catch (err) {
      if (this.members.size === 0) this.scheduleStop();
      throw err;
    }
    if (signal.aborted) {
      if (this.members.size === 0) this.scheduleStop();
      return;
    }
    const member: Member<T> = { client, run, pending: [], sentUpTo: null, closed: false };
    this.members.add(member);
    signal.addEventListener("abort", () => this.detach(member), { once: true });
    const lastSeq = options.lastSeq;
    if (lastSeq === null || (lastSeq >= run.coveredFrom && lastSeq <= run.position)) {
      // Synchronous from registration on: the ring's tail, then every hub item, nothing in between.
      member.pending = null;
      if (lastSeq === null) return;
      member.sentUpTo = lastSeq;
      for (const item of run.ring) if (item.seq !== null && item.seq > lastSeq && !this.pushNow(member, item)) return;
      return;
    }
    try {
      if (lastSeq > run.position) {
        const head = await this.store.headSeq();
        if (lastSeq > head) await this.sendResync(member);
        // Within the head: this hub has not yielded those changes yet; they arrive live.
        else member.sentUpTo = lastSeq;
      } else {
        member.sentUpTo = await this.catchUp(member, lastSeq, run.position, signal);
      }
    } catch (err) {
      this.drop(member, "stopped");
      throw err;
    }
    this.goLive(member);
  }

  /** Stops the feed subscription and closes every client. */
  async close(): Promise<void> {
    this.cancelLinger();
    await this.stop("stopped");
  }

  // ------------------------------------------------------------------ internals

  private goLive(member: Member<T>): void {
    const pending = member.pending ?? [];
    member.pending = null;
    for (const item of pending) if (!this.pushNow(member, item)) return;
  }

  /** Sends the changes in (fromSeq, target] read from the feed; returns the seq the client is at. */
  private async catchUp(member: Member<T>, fromSeq: number, target: number, signal: AbortSignal): Promise<number | null> {
    this.counters.catchUps++;
    this.counters.feedSubscriptions++;
    const abort = new AbortController();
    const onAbort = (): void => abort.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const feed = this.store.subscribeChanges({ fromSeq, signal: abort.signal });
    // Held until the end: a client that missed more than maxCatchUp changes gets only the resync.
    const missed: Item<T>[] = [];
    let at: number | null = fromSeq;
    try {
      while (!member.closed && !abort.signal.aborted) {
        const next = await feed.next();
        if (next.done) break;
        const change = next.value;
        if (change.kind === "resync") {
          await this.sendResync(member);
          return null;
        }
        if (change.seq === null) continue;
        if (change.seq > target) break;
        if (missed.length >= this.maxCatchUp) {
          this.logger.info("live updates: a client missed too many changes to replay; it reloads instead", { from_seq: fromSeq, max: this.maxCatchUp });
          await this.sendResync(member);
          return null;
        }
        const payload = await this.encode(change);
        if (payload !== null) missed.push({ seq: change.seq, payload });
        at = change.seq;
        if (change.seq >= target) break;
      }
      for (const item of missed) if (!this.pushNow(member, item)) break;
      return at;
    } finally {
      signal.removeEventListener("abort", onAbort);
      abort.abort();
      await feed.return?.();
    }
  }

  private async sendResync(member: Member<T>): Promise<void> {
    this.resyncPayload ??= this.encode({ kind: "resync", reason: "the stream cannot resume from the client's position; reload" });
    const payload = await this.resyncPayload;
    if (payload !== null) this.pushNow(member, { seq: null, payload });
  }

  /** A hub item for one client: held while the client catches up, else pushed; false when the client was dropped. */
  private deliver(member: Member<T>, item: Item<T>): boolean {
    if (member.closed) return false;
    if (!member.pending) return this.pushNow(member, item);
    if (member.pending.length >= this.maxPending) {
      this.drop(member, "overflow");
      return false;
    }
    member.pending.push(item);
    return true;
  }

  /** Pushes to the client's queue unless it already has that seq; false when the client was dropped. */
  private pushNow(member: Member<T>, item: Item<T>): boolean {
    if (member.closed) return false;
    if (item.seq !== null && member.sentUpTo !== null && item.seq <= member.sentUpTo) return true;
    if (!member.client.push(item.payload)) {
      this.drop(member, "overflow");
      return false;
    }
    if (item.seq !== null) member.sentUpTo = item.seq;
    return true;
  }

  private drop(member: Member<T>, reason: LiveCloseReason): void {
    if (member.closed) return;
    member.closed = true;
    if (reason === "overflow") this.counters.overflows++;
    this.detach(member);
    try {
      member.client.close(reason);
    } catch (err) {
      this.logger.warn("live updates: closing a client failed", { error: errorMessage(err) });
    }
  }

  private detach(member: Member<T>): void {
    member.closed = true;
    member.pending = null;
    if (this.members.delete(member) && this.members.size === 0) this.scheduleStop();
  }

  private ensureRun(): Promise<Run<T>> {
    if (this.run) return Promise.resolve(this.run);
    this.starting ??= this.startRun().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async startRun(): Promise<Run<T>> {
    const head = await this.store.headSeq();
    const abort = new AbortController();
    this.counters.feedSubscriptions++;
    const feed = this.store.subscribeChanges({ fromSeq: head, signal: abort.signal });
    const run: Run<T> = { abort, ring: [], coveredFrom: head, position: head, done: Promise.resolve() };
    run.done = this.follow(run, feed);
    this.run = run;
    return run;
  }

  /** The one loop that reads the feed for every client. */
  private async follow(run: Run<T>, feed: AsyncIterableIterator<ChangeEvent>): Promise<void> {
    let ending: LiveCloseReason = "stopped";
    try {
      for (;;) {
        const next = await feed.next();
        if (next.done || run.abort.signal.aborted) break;
        const change = next.value;
        if (change.kind === "resync") {
          // The feed lost continuity: every client reloads, and the next client starts afresh.
          const payload = await this.encode(change);
          for (const m of [...this.members]) if (payload !== null) this.deliver(m, { seq: null, payload });
          ending = "resync";
          break;
        }
        const payload = await this.encode(change);
        if (run.abort.signal.aborted) break;
        if (change.seq !== null) run.position = change.seq;
        if (payload === null) continue;
        const item: Item<T> = { seq: change.seq, payload };
        if (item.seq !== null) {
          run.ring.push(item);
          if (run.ring.length > this.ringSize) run.coveredFrom = run.ring.shift()?.seq ?? run.coveredFrom;
        }
        for (const m of [...this.members]) this.deliver(m, item);
      }
    } catch (err) {
      if (!run.abort.signal.aborted) this.logger.warn("live updates: the change feed failed; clients reconnect", { error: errorMessage(err) });
    } finally {
      await feed.return?.();
      if (this.run === run) this.run = null;
      this.dropRun(run, ending);
    }
  }

  private scheduleStop(): void {
    this.cancelLinger();
    const idleStop = (): void => {
      this.linger = null;
      if (this.members.size === 0) void this.stop("stopped");
    };
    if (this.lingerMs === 0) return idleStop();
    this.linger = setTimeout(idleStop, this.lingerMs);
    this.linger.unref?.();
  }

  private cancelLinger(): void {
    if (this.linger !== null) clearTimeout(this.linger);
    this.linger = null;
  }

  private async stop(reason: LiveCloseReason): Promise<void> {
    const run = this.run ?? (this.starting ? await this.starting.catch(() => null) : null);
    if (!run) return;
    if (this.run === run) this.run = null;
    run.abort.abort();
    this.dropRun(run, reason);
    await run.done;
  }

  private dropRun(run: Run<T>, reason: LiveCloseReason): void {
    for (const m of [...this.members]) if (m.run === run) this.drop(m, reason);
  }
}
