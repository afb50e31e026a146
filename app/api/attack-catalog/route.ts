import { ATTACK_VERSION, listTactics, listTechniques } from "../../../lib/attack/catalog";
import type { AttackCatalogPayload } from "../../_lib/rule-editor-types";
import { errorResponse } from "../../_server/http";
import { authenticateRequest } from "../../_server/session";

let body: string | null = null;

/** The bundled ATT&CK catalog as id → name (≈ 33 KB, 8 KB gzipped), fetched once by the rule editor for completion and hover. */
export async function GET(request: Request): Promise<Response> {
  const who = await authenticateRequest(request, "viewer");
  if (!who.ok) return errorResponse(who.status, who.message);
  if (body === null) {
    const payload: AttackCatalogPayload = {
      version: ATTACK_VERSION,
      tactics: listTactics().map((t) => [t.id, t.name]),
      techniques: listTechniques().map((t) => [t.id, t.name, t.tactics.join(",")]),
    };
    body = JSON.stringify(payload);
  }
  const etag = `"attack-${ATTACK_VERSION}"`;
  const headers = { "content-type": "application/json", "cache-control": "private, max-age=86400", etag };
  if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  return new Response(body, { headers });
}
