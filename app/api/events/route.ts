import { getServices } from "../../_server/services";
import { authenticateRequest, credentialCheck } from "../../_server/session";
import { changesFor, toLiveMessage } from "../../_server/live";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 15_000;
/** How often an open stream re-checks its credential (a removed user or revoked token stops receiving changes within this). */
const RECHECK_MS = 5_000;

function parseSeq(v: string | null): number | null {
  if (v === null || !/^\d{1,15}$/.test(v)) return null;
  return Number(v);
}

/** Server-sent events: every store change, resuming after `Last-Event-ID` (or `?from=`) on the database backends. */
export async function GET(request: Request): Promise<Response> {
  const who = await authenticateRequest(request, "viewer");
  if (!who.ok) return Response.json({ detail: who.message }, { status: who.status });
  const { store, logger } = await getServices();
  const stillAllowed = await credentialCheck(request, "viewer");
  const url = new URL(request.url);
  const fromSeq = parseSeq(request.headers.get("last-event-id")) ?? parseSeq(url.searchParams.get("from"));
  const abort = new AbortController();
  request.signal.addEventListener("abort", () => abort.abort(), { once: true });
  const changes = changesFor(store, fromSeq, abort.signal);
  const encoder = new TextEncoder();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let recheck: ReturnType<typeof setInterval> | undefined;

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string): void => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          abort.abort();
        }
      };
      send(`retry: 1000\n: connected\n\n`);
      heartbeat = setInterval(() => send(`: ping\n\n`), HEARTBEAT_MS);
      recheck = setInterval(() => {
        stillAllowed().then(
          (ok) => {
            if (ok) return;
            // The browser's EventSource reconnects and gets 401; the page then finds it is signed out (use-live-changes.ts).
            logger.info("live updates stream closed: its credential is no longer valid");
            abort.abort();
            void changes.return?.();
          },
          (err: unknown) => logger.warn("live updates: re-checking the credential failed", { error: err instanceof Error ? err.message : String(err) }),
        );
      }, RECHECK_MS);
      void (async () => {
        try {
          for await (const change of changes) {
            const msg = await toLiveMessage(store, change);
            if (!msg) continue;
            send(`${msg.seq !== null ? `id: ${msg.seq}\n` : ""}event: change\ndata: ${JSON.stringify(msg)}\n\n`);
          }
        } catch (err) {
          if (!abort.signal.aborted) logger.warn("live updates stream failed", { error: err instanceof Error ? err.message : String(err) });
        } finally {
          clearInterval(heartbeat);
          clearInterval(recheck);
          try {
            controller.close();
          } catch {
            // Already closed by the client going away.
          }
        }
      })();
    },
    cancel() {
      clearInterval(heartbeat);
      clearInterval(recheck);
      abort.abort();
      void changes.return?.();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}
