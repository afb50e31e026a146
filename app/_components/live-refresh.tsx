"use client";
import { useRouter } from "next/navigation";
import { useCallback, useRef } from "react";
import type { LiveMessage } from "../_lib/live-message";
import { useLiveChanges } from "./use-live-changes";

/** Re-renders the server page when a change (optionally of one rule) arrives; at most every 300 ms. */
export function LiveRefresh({ fromSeq, ruleId }: { fromSeq: number | null; ruleId?: string }) {
  const router = useRouter();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refresh = useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      router.refresh();
    }, 300);
  }, [router]);
  const onMessage = useCallback(
    (m: LiveMessage) => {
      if (m.kind !== "resync" && ruleId !== undefined && m.ruleId !== ruleId) return;
      refresh();
    },
    [refresh, ruleId],
  );
  const status = useLiveChanges(fromSeq, onMessage, refresh);
  return <span className={`live live-${status}`}>{status === "live" ? "● live" : status === "connecting" ? "○ connecting" : "○ reconnecting…"}</span>;
}
