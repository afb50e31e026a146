import { apiRoute } from "../../../../_server/http";
import { getServices } from "../../../../_server/services";

export const dynamic = "force-dynamic";

/** DECNET's rule catalogue: every rule with its effective state, sorted by rule_id. */
export function GET(request: Request): Promise<Response> {
  return apiRoute(request, "viewer", "Listing rules", async () => {
    const { store } = await getServices();
    const rules = await store.listRules();
    const rows = rules
      .map((r) => ({
        rule_id: r.ruleId,
        rule_version: r.ruleVersion,
        name: r.name,
        description: r.rule.description,
        state: r.state.state,
        confidence_max: r.state.confidence_max,
        expires_at: r.state.expires_at,
        reason: r.state.reason,
        set_by: r.state.set_by,
        set_at: r.state.set_at,
        revision: r.revision,
        origin: r.origin,
      }))
      .sort((a, b) => (a.rule_id < b.rule_id ? -1 : a.rule_id > b.rule_id ? 1 : 0));
    return Response.json(rows);
  });
}
