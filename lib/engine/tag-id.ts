import { v5 as uuidv5 } from "uuid";

/** UUIDv5(URL namespace, "decnet:ttp_tag:v1"): DECNET's namespace for tag ids (SPEC §4.1). */
export const TAG_NAMESPACE = uuidv5("decnet:ttp_tag:v1", uuidv5.URL);

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
  return uuidv5(`${sourceKind}|${sourceId}|${ruleId}|${ruleVersion}|${techniqueId}|${subTechniqueId ?? ""}`, TAG_NAMESPACE);
}
