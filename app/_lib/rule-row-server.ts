import "server-only";

export { attackNamesFor, toRuleRow } from "./rule-row-records";
