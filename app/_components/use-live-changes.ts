"use client";
import { useEffect, useRef, useState } from "react";
import type { LiveMessage } from "../_lib/live-message";

export type LiveStatus = "connecting" | "live" | "reconnecting";

/**
 * Subscribes to /api/events. The browser's EventSource reconnects by itself and sends the last
 * seen id, so the database backends replay what was missed; without ids (filesystem backend) a
 * reconnect calls onResync so the page reloads its data.
 */
export function useLiveChanges(fromSeq: number | null, onMessage: (m: LiveMessage) => void, onResync: () => void): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const handlers = useRef({ onMessage, onResync });
  handlers.current = { onMessage, onResync };
  useEffect(() => {
    const es = new EventSource(fromSeq === null ? "/api/events" : `/api/events?from=${fromSeq}`);
    let opened = false;
    es.addEventListener("open", () => {
      setStatus("live");
      if (opened && fromSeq === null) handlers.current.onResync();
      opened = true;
    });
    es.addEventListener("error", () => setStatus("reconnecting"));
    es.addEventListener("change", (ev) => {
      const e = ev as MessageEvent<string>;
      let msg: LiveMessage;
      try {
        msg = JSON.parse(e.data) as LiveMessage;
      } catch {
        return;
      }
      if (msg.kind === "resync") handlers.current.onResync();
      else handlers.current.onMessage(msg);
    });
    return () => es.close();
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
