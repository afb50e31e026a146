import { RuleTransfer } from "../../../_components/rule-transfer";
import { getServices } from "../../../_server/services";
import { hasRole, requireUser } from "../../../_server/session";

export const metadata = { title: "Import / export · TTP Rule Console" };

export default async function RuleTransferPage() {
  const user = await requireUser();
  const { store } = await getServices();
  const ruleCount = (await store.listRules()).length;
  return <RuleTransfer isAdmin={hasRole(user, "admin")} ruleCount={ruleCount} />;
}
