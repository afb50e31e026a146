"use client";
import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** Re-renders the server component every `everyMs` while the tab is visible (reports that no change feed announces). */
export function AutoRefresh({ everyMs }: { everyMs: number }) {
  const router = useRouter();
  useEffect(() => {
    const t = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, everyMs);
    return () => clearInterval(t);
  }, [router, everyMs]);
  return null;
}
