"use client";
import { LiveBadge, useLive, useLiveRefresh } from "./data/live";

/** For server-rendered pages: the live badge, and the page re-rendered when a change (optionally of one rule) arrives. */
export function LiveRefresh({ fromSeq, ruleId }: { fromSeq: number | null; ruleId?: string }) {
  useLive(fromSeq);
  useLiveRefresh((m) => ruleId === undefined || (m.kind !== "resync" && m.ruleId === ruleId));
  return <LiveBadge />;
}
