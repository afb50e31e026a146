"use client";
import { useRouter } from "next/navigation";
import { useCallback } from "react";
import type { LiveMessage } from "../_lib/live-message";
import { useLiveChanges, useThrottled, type LiveStatus } from "./use-live-changes";

/** The connection state of a page's live updates. */
export function LiveBadge({ status }: { status: LiveStatus }) {
  return <LiveBadge status={status} />;
}

/** Re-renders the server page when a change (optionally of one rule) arrives; at most every 300 ms. */
export function LiveRefresh({ fromSeq, ruleId }: { fromSeq: number | null; ruleId?: string }) {
  const router = useRouter();
  const refresh = useThrottled(() => router.refresh(), 300);
  const onMessage = useCallback(
    (m: LiveMessage) => {
      if (m.kind !== "resync" && ruleId !== undefined && m.ruleId !== ruleId) return;
      refresh();
    },
    [refresh, ruleId],
  );
  const status = useLiveChanges(fromSeq, onMessage, refresh);
  return <LiveBadge status={status} />;
}
