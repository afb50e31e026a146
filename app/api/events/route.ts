import { getServices } from "../../_server/services";
import { authenticateRequest, credentialCheck } from "../../_server/session";
import { liveHub } from "../../_server/live";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 15_000;
/** How often an open stream re-checks its credential (a removed user or revoked token stops receiving changes within this). */
const RECHECK_MS = 5_000;
/** Bytes a tab may leave unread before its stream is closed (it reconnects with its Last-Event-ID and resumes). */
const MAX_QUEUED_BYTES = 1 << 20;

function parseSeq(v: string | null): number | null {
  if (v === null || !/^\d{1,15}$/.test(v)) return null;
  return Number(v);
}

/** Server-sent events: every store change from the process's one live hub, resuming after `Last-Event-ID` (or `?from=`) on the database backends. */
export async function GET(request: Request): Promise<Response> {
  const who = await authenticateRequest(request, "viewer");
  if (!who.ok) return Response.json({ detail: who.message }, { status: who.status });
  const { store, logger } = await getServices();
  const stillAllowed = await credentialCheck(request, "viewer");
  const url = new URL(request.url);
  // Filesystem seqs count within one process: a reconnect there reloads instead (app/_components/data/live.tsx).
  const lastSeq = store.durableFeed ? (parseSeq(request.headers.get("last-event-id")) ?? parseSeq(url.searchParams.get("from"))) : null;
  const hub = liveHub(store, logger);
  const abort = new AbortController();
  request.signal.addEventListener("abort", () => abort.abort(), { once: true });
  const encoder = new TextEncoder();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let recheck: ReturnType<typeof setInterval> | undefined;

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let open = true;
        const finish = (): void => {
          if (!open) return;
          open = false;
          clearInterval(heartbeat);
          clearInterval(recheck);
          abort.abort();
          try {
            // What is queued still reaches the tab; then its EventSource reconnects with the last id it got.
            controller.close();
          } catch {
            // Already closed by the client going away.
          }
        };
        const push = (chunk: Uint8Array): boolean => {
          if (!open) return false;
          if ((controller.desiredSize ?? 1) <= 0) return false;
          try {
            controller.enqueue(chunk);
            return true;
          } catch {
            finish();
            return false;
          }
        };
        abort.signal.addEventListener("abort", finish, { once: true });
        push(encoder.encode(`retry: 1000\n: connected\n\n`));
        const ping = encoder.encode(`: ping\n\n`);
        heartbeat = setInterval(() => {
          if (!push(ping)) finish();
        }, HEARTBEAT_MS);
        recheck = setInterval(() => {
          stillAllowed().then(
            (ok) => {
              if (ok) return;
              // The browser's EventSource reconnects and gets 401; the page then finds it is signed out (app/_components/data/live.tsx).
              logger.info("live updates stream closed: its credential is no longer valid");
              finish();
            },
            (err: unknown) => logger.warn("live updates: re-checking the credential failed", { error: err instanceof Error ? err.message : String(err) }),
          );
        }, RECHECK_MS);
        const client = {
          push,
          close: (reason: string) => {
            if (reason === "overflow") logger.info("live updates: a tab fell behind; its stream is closed and it resumes on reconnect", { max_queued_bytes: MAX_QUEUED_BYTES });
            finish();
          },
        };
        hub.attach(client, { lastSeq, signal: abort.signal }).catch((err: unknown) => {
          if (!abort.signal.aborted) logger.warn("live updates stream failed", { error: err instanceof Error ? err.message : String(err) });
          finish();
        });
      },
      cancel() {
        clearInterval(heartbeat);
        clearInterval(recheck);
        abort.abort();
      },
    },
    { highWaterMark: MAX_QUEUED_BYTES, size: (chunk) => chunk.byteLength },
  );
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}
