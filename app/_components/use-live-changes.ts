"use client";
import { useCallback } from "react";
import type { LiveMessage } from "../_lib/live-message";
import { useLive, useLiveMessages, type LiveStatus } from "./data/live";

export { useNow } from "./data/live";
export type { LiveStatus };

/**
 * Deprecated: use `useLive` and `useLiveMessages` from ./data/live (the tab's one stream, which also
 * updates the react-query cache). Kept for components not yet on react-query.
 */
export function useLiveChanges(fromSeq: number | null, onMessage: (m: LiveMessage) => void, onResync: () => void): LiveStatus {
  const status = useLive(fromSeq);
  useLiveMessages(
    useCallback(
      (batch: readonly LiveMessage[]) => {
        for (const m of batch) {
          if (m.kind === "resync") onResync();
          else onMessage(m);
        }
      },
      [onMessage, onResync],
    ),
  );
  return status;
}
