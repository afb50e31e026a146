import { buildRulePackZip } from "../../../../lib/rules/rule-pack";
import { apiRoute } from "../../../_server/http";
import { getServices } from "../../../_server/services";

export const dynamic = "force-dynamic";

/** Every rule's original YAML text as `<rule_id>.yaml` in one zip (what `ttp rules export` writes to a folder). */
export function GET(request: Request): Promise<Response> {
  return apiRoute(request, "viewer", "Exporting the rules", async () => {
    const { store } = await getServices();
    const rules = await store.listRules();
    const now = new Date();
    const zip = buildRulePackZip(rules, { mtime: now });
    const filename = `ttp-rules-${now.toISOString().slice(0, 10)}.zip`;
    return new Response(new Blob([zip as Uint8Array<ArrayBuffer>], { type: "application/zip" }), {
      headers: {
        "content-type": "application/zip",
        "content-disposition": `attachment; filename="${filename}"`,
        "content-length": String(zip.length),
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  });
}
