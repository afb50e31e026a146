"use client";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore, useTransition, type ReactNode } from "react";
import type { LiveMessage } from "../../_lib/live-message";
import { queryKeys } from "./query-keys";
import { applyLiveMessageToRule } from "./rule-page";
import { applyLiveToRules, type RulesData } from "./rules-cache";

export type LiveStatus = "idle" | "connecting" | "live" | "reconnecting";

/** Wait before opening a new stream after the server refused one. */
const RETRY_MS = 5000;
/** Messages kept to catch up data fetched while the stream was already running (see `mark`/`since`). */
const KEEP = 20_000;

type Listener = (batch: readonly LiveMessage[]) => void;

/**
 * The tab's one /api/events stream. Opened by the first page that needs it (`useLive`) and kept for
 * the tab's life; every message goes to the react-query cache (`applyLiveMessage`) and to the
 * pages' listeners, in batches (a bulk change of 10,000 rules is applied in a few cache writes).
 *
 * The browser's EventSource reconnects by itself and sends the last id, so the database backends
 * replay what was missed; without ids (filesystem backend) a reconnect is a resync (every query is
 * refetched). When the server refuses the stream (signed out, user removed or demoted, server
 * error) EventSource gives up: a HEAD request for this page tells which — a redirect reloads into
 * the sign-in page, anything else opens a new stream after RETRY_MS from the last change seen.
 */
export class LiveConnection {
  status: LiveStatus = "idle";
  private es: EventSource | null = null;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private resumable = false;
  private opened = false;
  private lastSeq: number | null = null;
  private readonly statusListeners = new Set<() => void>();
  private readonly listeners = new Set<Listener>();
  private queue: LiveMessage[] = [];
  private flushing = false;
  /** Received messages (newest last) and how many were dropped from the front. */
  private recent: LiveMessage[] = [];
  private dropped = 0;

  constructor(private readonly client: QueryClient) {}

  /** Opens the stream from `fromSeq` (the cursor the page's server data was read at) unless it is already open. */
  start(fromSeq: number | null): void {
    if (this.es !== null || this.retry !== undefined) return;
    this.stopped = false;
    this.resumable = fromSeq !== null;
    this.lastSeq = fromSeq;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.es?.close();
    this.es = null;
    this.setStatus("idle");
  }

  /** A position in the received messages: data fetched after it is caught up with `since(mark)`. */
  mark(): number {
    return this.dropped + this.recent.length;
  }

  /** Messages received after `mark`, or null when they are no longer all kept (refetch instead). */
  since(mark: number): readonly LiveMessage[] | null {
    if (mark < this.dropped) return null;
    return this.recent.slice(mark - this.dropped);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeStatus = (listener: () => void): (() => void) => {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  };

  getStatus = (): LiveStatus => this.status;

  private setStatus(s: LiveStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const l of this.statusListeners) l();
  }

  private connect(): void {
    this.retry = undefined;
    this.setStatus(this.opened ? "reconnecting" : "connecting");
    const source = new EventSource(this.lastSeq === null ? "/api/events" : `/api/events?from=${this.lastSeq}`);
    this.es = source;
    source.addEventListener("open", () => {
      this.setStatus("live");
      if (this.opened && !this.resumable) this.receive({ kind: "resync", seq: null });
      this.opened = true;
    });
    source.addEventListener("error", () => {
      if (this.stopped) return;
      this.setStatus("reconnecting");
      if (source.readyState !== EventSource.CLOSED) return;
      this.es = null;
      const again = (): void => {
        if (!this.stopped) this.retry = setTimeout(() => this.connect(), RETRY_MS);
      };
      fetch(window.location.href, { method: "HEAD", redirect: "manual", cache: "no-store" }).then((r) => {
        if (this.stopped) return;
        if (r.type === "opaqueredirect") window.location.reload();
        else again();
      }, again);
    });
    source.addEventListener("change", (ev) => {
      const e = ev as MessageEvent<string>;
      if (this.resumable && /^\d+$/.test(e.lastEventId)) this.lastSeq = Number(e.lastEventId);
      let msg: LiveMessage;
      try {
        msg = JSON.parse(e.data) as LiveMessage;
      } catch {
        return;
      }
      this.receive(msg);
    });
  }

  private receive(msg: LiveMessage): void {
    this.recent.push(msg);
    if (this.recent.length > KEEP * 2) {
      const cut = this.recent.length - KEEP;
      this.recent = this.recent.slice(cut);
      this.dropped += cut;
    }
    this.queue.push(msg);
    if (this.flushing) return;
    this.flushing = true;
    // Messages that arrived together (one network read) are applied together, after this task.
    setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.flushing = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    applyLiveMessages(this.client, batch);
    for (const l of this.listeners) l(batch);
  }
}

/** Applies a batch of /api/events messages to the cache: rows and rule set in place, the rest invalidated. */
export function applyLiveMessages(client: QueryClient, batch: readonly LiveMessage[]): void {
  if (batch.some((m) => m.kind === "resync")) {
    void client.invalidateQueries();
    return;
  }
  client.setQueryData<RulesData>(queryKeys.rules(), (d) => (d ? applyLiveToRules(d, batch) : d));
  if (batch.some((m) => m.kind === "state" || m.kind === "deleted")) void client.invalidateQueries({ queryKey: queryKeys.expiring() });
  for (const m of batch) applyLiveMessageToRule(client, m);
}

const LiveContext = createContext<LiveConnection | null>(null);

/** One live stream per tab for everything under it (inside the QueryProvider). */
export function LiveProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [conn] = useState(() => new LiveConnection(client));
  useEffect(() => () => conn.stop(), [conn]);
  return <LiveContext.Provider value={conn}>{children}</LiveContext.Provider>;
}

export function useLiveConnection(): LiveConnection {
  const conn = useContext(LiveContext);
  if (!conn) throw new Error("useLive needs the LiveProvider (app/_components/data/query-provider.tsx)");
  return conn;
}

const serverStatus = (): LiveStatus => "idle";

/** The stream's status (re-renders on change). */
export function useLiveStatus(): LiveStatus {
  const conn = useLiveConnection();
  return useSyncExternalStore(conn.subscribeStatus, conn.getStatus, serverStatus);
}

/**
 * Makes sure the tab's stream runs (from `fromSeq`, the feed head read by the server before the
 * page's data, when it is the first to open it) and returns its status.
 */
export function useLive(fromSeq: number | null): LiveStatus {
  const conn = useLiveConnection();
  useEffect(() => conn.start(fromSeq), [conn, fromSeq]);
  return useLiveStatus();
}

/** Calls `onBatch` with every batch of messages (after the cache has been updated). */
export function useLiveMessages(onBatch: (batch: readonly LiveMessage[]) => void): void {
  const conn = useLiveConnection();
  const ref = useRef(onBatch);
  useEffect(() => {
    ref.current = onBatch;
  });
  useEffect(() => conn.subscribe((b) => ref.current(b)), [conn]);
}

/**
 * For server-rendered pages without a query of their own (activity): re-renders the page from the
 * server when a message `matches` arrives; while one refresh runs, further changes make one more.
 */
export function useLiveRefresh(matches: (m: LiveMessage) => boolean = () => true): void {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const dirty = useRef(false);
  const pendingRef = useRef(pending);
  const match = useRef(matches);
  useEffect(() => {
    match.current = matches;
    pendingRef.current = pending;
  });
  useEffect(() => {
    if (pending || !dirty.current) return;
    dirty.current = false;
    startTransition(() => router.refresh());
  }, [pending, router]);
  useLiveMessages((batch) => {
    if (!batch.some((m) => m.kind === "resync" || match.current(m))) return;
    if (pendingRef.current) dirty.current = true;
    else startTransition(() => router.refresh());
  });
}

const LABEL: Record<LiveStatus, string> = { idle: "○ connecting", connecting: "○ connecting", live: "● live", reconnecting: "○ reconnecting…" };

/** The one live badge of the console. */
export function LiveBadge({ status }: { status?: LiveStatus }) {
  const current = useLiveStatus();
  const s = status ?? current;
  return <span className={`live live-${s === "idle" ? "connecting" : s}`}>{LABEL[s]}</span>;
}

/** Epoch ms, re-rendering every `everyMs` (countdowns, expiry at the exact second). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
