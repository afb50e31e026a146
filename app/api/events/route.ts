import { getServices } from "../../_server/services";
import { authenticateRequest } from "../../_server/session";
import { changesFor, toLiveMessage } from "../../_server/live";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 15_000;

function parseSeq(v: string | null): number | null {
  if (v === null || !/^\d{1,15}$/.test(v)) return null;
  return Number(v);
}

/** Server-sent events: every store change, resuming after `Last-Event-ID` (or `?from=`) on the database backends. */
export async function GET(request: Request): Promise<Response> {
  const who = await authenticateRequest(request, "viewer");
  if (!who.ok) return Response.json({ detail: who.message }, { status: who.status });
  const { store, logger } = await getServices();
  const url = new URL(request.url);
  const fromSeq = parseSeq(request.headers.get("last-event-id")) ?? parseSeq(url.searchParams.get("from"));
  const abort = new AbortController();
  request.signal.addEventListener("abort", () => abort.abort(), { once: true });
  const changes = changesFor(store, fromSeq, abort.signal);
  const encoder = new TextEncoder();
  let heartbeat: ReturnType<typeof setInterval> | undefined;

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
      abort.abort();
      void changes.return?.();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}
