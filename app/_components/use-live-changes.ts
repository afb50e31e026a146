"use client";
import { useEffect, useRef, useState } from "react";
import type { LiveMessage } from "../_lib/live-message";

export type LiveStatus = "connecting" | "live" | "reconnecting";

/** Wait before opening a new stream after the server refused one. */
const RETRY_MS = 5000;

/**
 * Subscribes to /api/events. The browser's EventSource reconnects by itself after a dropped
 * connection and sends the last seen id, so the database backends replay what was missed; without
 * ids (filesystem backend) a reconnect calls onResync so the page reloads its data.
 *
 * When the server refuses the stream (a non-200 answer: signed out, user removed or demoted, or a
 * server error) EventSource gives up for good. Then a HEAD request for this page tells which: a
 * redirect means the session is gone, and the page reloads into the sign-in page; otherwise a
 * new stream is opened after RETRY_MS, from the last change seen.
 */
export function useLiveChanges(fromSeq: number | null, onMessage: (m: LiveMessage) => void, onResync: () => void): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const handlers = useRef({ onMessage, onResync });
  handlers.current = { onMessage, onResync };
  useEffect(() => {
    let es: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let opened = false;
    let lastSeq = fromSeq;
    const connect = (): void => {
      const source = new EventSource(lastSeq === null ? "/api/events" : `/api/events?from=${lastSeq}`);
      es = source;
      source.addEventListener("open", () => {
        setStatus("live");
        if (opened && fromSeq === null) handlers.current.onResync();
        opened = true;
      });
      source.addEventListener("error", () => {
        setStatus("reconnecting");
        if (stopped || source.readyState !== EventSource.CLOSED) return;
        const again = (): void => {
          if (!stopped) retry = setTimeout(connect, RETRY_MS);
        };
        fetch(window.location.href, { method: "HEAD", redirect: "manual", cache: "no-store" }).then((r) => {
          if (stopped) return;
          if (r.type === "opaqueredirect") window.location.reload();
          else again();
        }, again);
      });
      source.addEventListener("change", (ev) => {
        const e = ev as MessageEvent<string>;
        if (fromSeq !== null && /^\d+$/.test(e.lastEventId)) lastSeq = Number(e.lastEventId);
        let msg: LiveMessage;
        try {
          msg = JSON.parse(e.data) as LiveMessage;
        } catch {
          return;
        }
        if (msg.kind === "resync") handlers.current.onResync();
        else handlers.current.onMessage(msg);
      });
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      es?.close();
    };
  }, [fromSeq]);
  return status;
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
