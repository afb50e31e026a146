import { parse as parseUuid, v5 as uuidv5 } from "uuid";
import { Uuidv5Builder } from "./sha1-uuid";

/** UUIDv5(URL namespace, "decnet:ttp_tag:v1"): DECNET's namespace for tag ids (SPEC §4.1). */
export const TAG_NAMESPACE = uuidv5("decnet:ttp_tag:v1", uuidv5.URL);
const NS_BYTES = parseUuid(TAG_NAMESPACE);
const builder = new Uuidv5Builder(NS_BYTES);

/** A builder of tag ids of its own (the engine's hot path: shared prefix per event, see Uuidv5Builder). */
export function tagIdBuilder(): Uuidv5Builder {
  return new Uuidv5Builder(NS_BYTES);
}

/** UUIDv5 of `name` in the tag namespace (equal to uuid's v5; see tag-id.test.ts). */
export function uuidv5InTagNamespace(name: string): string {
  return builder.of(name);
}

/** The part of a tag-id name after `source_kind|source_id`: `|rule_id|rule_version|technique_id|sub_technique_id or ""`. */
export function tagIdSuffix(ruleId: string, ruleVersion: number, techniqueId: string, subTechniqueId: string | null): string {
  return `|${ruleId}|${ruleVersion}|${techniqueId}|${subTechniqueId ?? ""}`;
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
  return builder.of(`${sourceKind}|${sourceId}${tagIdSuffix(ruleId, ruleVersion, techniqueId, subTechniqueId)}`);
}
