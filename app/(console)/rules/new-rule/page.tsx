import Link from "next/link";
import { errorMessage } from "../../../../lib/errors";
import { RuleWorkbench } from "../../../_components/rule-workbench";
import { newRuleTemplate, nextFreeRuleId } from "../../../_lib/rule-template";
import { editorSchema } from "../../../_server/editor-schema";
import { preloadMonaco } from "../../../_server/monaco-assets";
import { getServices } from "../../../_server/services";
import { hasRole, requireUser } from "../../../_server/session";

export const metadata = { title: "New rule · TTP Rule Console" };

export default async function NewRulePage() {
  const user = await requireUser();
  const back = (
    <p>
      <Link href="/rules">← Rules</Link>
    </p>
  );
  if (!hasRole(user, "admin")) {
    return (
      <div className="rule-page">
        {back}
        <h1>New rule</h1>
        <p role="alert" className="form-error">
          Creating rules needs the admin role; you are signed in as {user.username} ({user.role}).
        </p>
      </div>
    );
  }
  const { store, env, logger } = await getServices();
  preloadMonaco((err) => logger.warn("cannot list Monaco's files to preload", { error: errorMessage(err) }));
  const ruleId = nextFreeRuleId((await store.listRules()).map((r) => r.ruleId));
  return (
    <div className="rule-page">
      {back}
      <h1>New rule</h1>
      <p className="muted">
        A valid template with the next free id ({ruleId}). Change what you need and save; the rule_id in the text is the id it is created under.
      </p>
      <RuleWorkbench
        ruleId={null}
        ruleName=""
        serverYaml={newRuleTemplate(ruleId)}
        serverRevision={0}
        serverUpdatedBy={null}
        isAdmin
        requireReason={env.TTP_REQUIRE_REASON}
        schema={editorSchema()}
      />
    </div>
  );
}
