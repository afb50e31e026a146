import "server-only";
import type { RuleStore } from "../../lib/store/types";
import { RuleListCache, type RuleListBodies } from "../_lib/rule-row-cache";

const CACHES = Symbol.for("ttp.dashboard.rule-list-caches");
type Holder = { [CACHES]?: WeakMap<RuleStore, RuleListCache> };

/** The rule list's bodies (rows, descriptions) at the store's current head, from the process's one cache over `store`. */
export function ruleListBodies(store: RuleStore): Promise<RuleListBodies> {
  const holder = globalThis as Holder;
  const caches = (holder[CACHES] ??= new WeakMap());
  let cache = caches.get(store);
  if (!cache) {
    cache = new RuleListCache(store);
    caches.set(store, cache);
  }
  return cache.bodies();
}

/** A private, never-stored JSON answer (the server compresses it). */
export function jsonResponse(body: Uint8Array<ArrayBuffer>): Response {
  return new Response(body, { headers: { "content-type": "application/json", "cache-control": "private, no-store" } });
}
