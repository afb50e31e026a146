import { isTtpError, errorMessage } from "../errors";
import { silentLogger, type Logger } from "../logger";
import { retry } from "../retry";
import type { DatabaseRuleStore } from "./database-store";
import type { ChangeEvent, RuleStore } from "./types";

export const FS_SYNC_ACTOR = "system:fs-sync";

export interface SyncFromFilesystemOptions {
  /** Actor recorded in the change log (default "system:fs-sync"). */
  actor?: string;
  logger?: Logger;
  /** Stops following (the returned `done` then resolves). */
  signal?: AbortSignal;
}

export interface ReconcileCounts {
  upserted: number;
  deleted: number;
  unchanged: number;
  /** Rules the database refused (logged with their problems); retried on the next file change. */
  failed: number;
}

export interface FilesystemSync {
  /** What the initial reconciliation did. */
  reconciled: ReconcileCounts;
  /** Resolves when following ends: abort, stop(), or either store closing. Never rejects. */
  done: Promise<void>;
  /** Stops following and waits for it to end. */
  stop(): Promise<void>;
}


/**
 * Master sync (SPEC §3.2): subscribes to the filesystem store first, then reconciles the
 * database with it (upsert every file whose text differs, as origin `filesystem`; delete rows of
 * origin `filesystem` whose file is gone; rows of origin `dashboard`/`import` are kept), then
 * follows the filesystem store's changes until stopped. Resolves once reconciliation is done.
 * Database outages are retried with capped backoff; a rule the database refuses is logged and skipped.
 */
export async function syncFromFilesystem(
  fsStore: RuleStore,
  db: DatabaseRuleStore,
  options: SyncFromFilesystemOptions = {},
): Promise<FilesystemSync> {
  const actor = options.actor ?? FS_SYNC_ACTOR;
  const log = options.logger ?? silentLogger;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  const signal = controller.signal;

  // Subscribe before reading, so nothing that changes during reconciliation is lost.
  const changes = fsStore.subscribeChanges({ signal });

  const stopped = (): boolean => signal.aborted;

  /** Runs a database write; retries while the database is unavailable; false when refused. */
  async function write(what: string, ruleId: string, fn: () => Promise<unknown>): Promise<boolean> {
    let waited = false;
    try {
      await retry(fn, {
        signal,
        shouldRetry: isBusy,
        onRetry: (err, attempt, delay) => {
          waited = true;
          log.warn("fs sync: database unavailable; retrying", { op: what, rule_id: ruleId, attempt, delay_ms: delay, error: errorMessage(err) });
        },
      });
      return true;
    } catch (err) {
      // Stopped while waiting out an outage: nothing was refused.
      if (waited && isBusy(err) && stopped()) return false;
      if (isTtpError(err) && err.code === "NOT_FOUND" && what === "delete") return true;
      log.error("fs sync: database refused a change; skipped", { op: what, rule_id: ruleId, error: errorMessage(err) });
      return false;
    }
  }

  /** A database read that waits out an outage (capped backoff) instead of failing the sync. */
  function readRetrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return retry(fn, {
      signal,
      shouldRetry: isBusy,
      onRetry: (err, attempt, delay) => log.warn("fs sync: database unavailable; retrying", { op: what, attempt, delay_ms: delay, error: errorMessage(err) }),
    });
  }

  async function upsertFromFs(ruleId: string, yamlText: string, sourcePath: string | null | undefined): Promise<boolean> {
    return write("upsert", ruleId, () =>
      db.upsertRule(yamlText, { actor, origin: "filesystem", ...(sourcePath === undefined ? {} : { sourcePath }) }),
    );
  }

  async function reconcile(): Promise<ReconcileCounts> {
    const counts: ReconcileCounts = { upserted: 0, deleted: 0, unchanged: 0, failed: 0 };
    const files = await fsStore.listRules();
    const stored = new Map((await readRetrying("list", () => db.listDefinitions())).map((d) => [d.ruleId, d]));
    const present = new Set<string>();
    for (const f of files) {
      present.add(f.ruleId);
      const row = stored.get(f.ruleId);
      if (row && row.yamlText === f.yamlText) {
        counts.unchanged++;
        continue;
      }
      if (await upsertFromFs(f.ruleId, f.yamlText, f.sourcePath)) counts.upserted++;
      else counts.failed++;
    }
    for (const row of stored.values()) {
      if (present.has(row.ruleId) || row.origin !== "filesystem") continue;
      const ok = await write("delete", row.ruleId, () =>
        db.deleteRule(row.ruleId, { actor, expectedRevision: row.revision, reason: "rule file removed" }),
      );
      if (ok) counts.deleted++;
      else counts.failed++;
    }
    log.info("fs sync: reconciled the database with the rules directory", { ...counts });
    return counts;
  }

  async function apply(event: ChangeEvent): Promise<void> {
    switch (event.kind) {
      case "definition": {
        let sourcePath: string | null | undefined;
        try {
          sourcePath = (await fsStore.getRule(event.ruleId)).sourcePath;
        } catch (err) {
          // Deleted again meanwhile: its own "deleted" change follows; keep the stored path.
          log.debug("fs sync: rule vanished before its path was read", { rule_id: event.ruleId, error: errorMessage(err) });
        }
        await upsertFromFs(event.ruleId, event.rule.yamlText, sourcePath);
        return;
      }
      case "deleted":
        await write("delete", event.ruleId, () => db.deleteRule(event.ruleId, { actor, reason: "rule file removed" }));
        return;
      case "resync":
        log.warn("fs sync: fell behind the filesystem store; reconciling again", { reason: event.reason });
        await reconcile();
        return;
      case "state":
        // Operational state lives in the database in this mode; the filesystem store's is not synced.
        return;
    }
  }

  let reconciled: ReconcileCounts;
  try {
    reconciled = await reconcile();
  } catch (err) {
    controller.abort();
    await changes.return?.();
    options.signal?.removeEventListener("abort", onAbort);
    throw err;
  }

  const done = (async () => {
    try {
      for (;;) {
        const next = await changes.next();
        if (next.done || stopped()) break;
        try {
          await apply(next.value);
        } catch (err) {
          if (stopped()) break;
          log.error("fs sync: applying a filesystem change failed", { kind: next.value.kind, error: errorMessage(err) });
        }
      }
    } finally {
      await changes.return?.();
      options.signal?.removeEventListener("abort", onAbort);
    }
  })().catch((err: unknown) => log.error("fs sync stopped on an unexpected error", { error: errorMessage(err) }));

  return {
    reconciled,
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

const isBusy = (err: unknown): boolean => isTtpError(err) && err.code === "BUSY";
