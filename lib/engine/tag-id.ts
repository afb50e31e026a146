import { parse as parseUuid, v5 as uuidv5 } from "uuid";
import { uuidv5Fast } from "./sha1-uuid";

/** UUIDv5(URL namespace, "decnet:ttp_tag:v1"): DECNET's namespace for tag ids (SPEC §4.1). */
export const TAG_NAMESPACE = uuidv5("decnet:ttp_tag:v1", uuidv5.URL);
const NS_BYTES = parseUuid(TAG_NAMESPACE);

/** UUIDv5 of `name` in the tag namespace (equal to uuid's v5; see tag-id.test.ts). */
export function uuidv5InTagNamespace(name: string): string {
  return uuidv5Fast(NS_BYTES, name);
}

/**
 * Deterministic tag id, compatible with DECNET: the same event, rule version and technique
 * always give the same id, so re-processing never duplicates a tag.
 */
export function tagId(
  sourceKind: string,
  sourceId: string,
  ruleId: string,
  ruleVersion: number,
  techniqueId: string,
  subTechniqueId: string | null,
): string {
  return uuidv5Fast(NS_BYTES, `${sourceKind}|${sourceId}|${ruleId}|${ruleVersion}|${techniqueId}|${subTechniqueId ?? ""}`);
}
