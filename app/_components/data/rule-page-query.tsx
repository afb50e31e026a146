"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { queryKeys } from "./query-keys";
import { fetchRulePage, type RulePageData } from "./rule-page";

/**
 * Puts the server-rendered rule into the cache before the page's client parts read it, unless the
 * cache already holds something newer (a live update that arrived after this render).
 */
export function RulePageSeed(props: { data: RulePageData; renderedAt: number; children: ReactNode }) {
  const client = useQueryClient();
  useState(() => {
    const key = queryKeys.rule(props.data.ruleId);
    const cached = client.getQueryState(key);
    if (!cached || cached.dataUpdatedAt < props.renderedAt) client.setQueryData(key, props.data, { updatedAt: props.renderedAt });
    return null;
  });
  return props.children;
}

/** The rule page's data from the cache (seeded by RulePageSeed, kept current by the live stream); null once deleted. */
export function useRulePage(ruleId: string | null) {
  return useQuery<RulePageData | null>({
    queryKey: queryKeys.rule(ruleId ?? ""),
    queryFn: ({ signal }) => fetchRulePage(ruleId ?? "", signal),
    enabled: ruleId !== null,
  });
}
