import { hash } from "node:crypto";
import { parse as parseUuid, v5 as uuidv5 } from "uuid";

/** UUIDv5(URL namespace, "decnet:ttp_tag:v1"): DECNET's namespace for tag ids (SPEC §4.1). */
export const TAG_NAMESPACE = uuidv5("decnet:ttp_tag:v1", uuidv5.URL);

// Tag ids are computed for every tag on the hot path: one reused buffer holding the namespace
// bytes, then the name, hashed with the one-shot crypto.hash (5x cheaper than uuid's createHash).
// Equivalence with the uuid package's v5 is a test (tag-id.test.ts).
const NS_BYTES = parseUuid(TAG_NAMESPACE);
let scratch = Buffer.alloc(512);
scratch.set(NS_BYTES, 0);
const HEX: string[] = Array.from({ length: 256 }, (_, i) => (i + 0x100).toString(16).slice(1));

/** UUIDv5 of `name` in the tag namespace (RFC 9562 §5.5). */
export function uuidv5InTagNamespace(name: string): string {
  const max = 16 + Buffer.byteLength(name, "utf8");
  if (max > scratch.length) {
    scratch = Buffer.alloc(Math.max(max, scratch.length * 2));
    scratch.set(NS_BYTES, 0);
  }
  const n = scratch.write(name, 16, "utf8");
  const d = hash("sha1", scratch.subarray(0, 16 + n), "buffer") as unknown as Buffer;
  const x = HEX as readonly string[];
  const b = d as unknown as readonly number[];
  // Version 5 in the high nibble of byte 6, RFC variant in the top bits of byte 8.
  return (
    x[b[0]!]! + x[b[1]!]! + x[b[2]!]! + x[b[3]!]! + "-" + x[b[4]!]! + x[b[5]!]! + "-" + x[(b[6]! & 0x0f) | 0x50]! + x[b[7]!]! + "-" +
    x[(b[8]! & 0x3f) | 0x80]! + x[b[9]!]! + "-" + x[b[10]!]! + x[b[11]!]! + x[b[12]!]! + x[b[13]!]! + x[b[14]!]! + x[b[15]!]!
  );
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
  return uuidv5InTagNamespace(`${sourceKind}|${sourceId}|${ruleId}|${ruleVersion}|${techniqueId}|${subTechniqueId ?? ""}`);
}
