// DECNET's IPv6 link-local leak analyzer (analyzers.md §2 row 36, §3.4), re-implemented from the
// behavioural specification. The evidence is exactly the 7-key object below; the rule's
// evidence_fields are ignored (§1.7).
import type { z } from "zod";
import type { ipv6LinkLocalLeakParams } from "../../rules/analyzers/ipv6";
import { own, present, pyOr3, truthy } from "./py";
import { SKIP, type Analyzer, type Payload } from "./types";

/** The payload value, or `fallback` only when the key is absent (a present null passes through). */
function orAbsent(payload: Payload, key: string, fallback: unknown): unknown {
  const v = own(payload, key);
  return v === undefined ? fallback : v;
}

const PREFIX = "fe80:";

const ipv6LinkLocalLeak: Analyzer<z.output<typeof ipv6LinkLocalLeakParams>, null> = {
  kind: "lifter:ipv6_link_local_leak",
  family: "ipv6",
  prepare: () => null,
  evaluate(_config, payload) {
    const addr = own(payload, "addr");
    // addr ‖ src_ip. Upstream lowercases the result unchecked, so a non-string there drops the
    // whole event; here it is an ill-typed field (SKIP). Absent or null: no address, no fire.
    const value = truthy(addr) ? addr : own(payload, "src_ip");
    if (!present(value)) return null;
    if (typeof value !== "string") return SKIP;
    // Only the textual prefix "fe80:" (case-insensitive), not all of fe80::/10. No character
    // outside ASCII lowercases to one of "fe80:", so lowering the first 5 code units suffices.
    if (value.slice(0, PREFIX.length).toLowerCase() !== PREFIX) return null;
    return {
      evidence: {
        addr: value,
        mac_oui: orAbsent(payload, "mac_oui", ""),
        iid_kind: orAbsent(payload, "iid_kind", "unknown"),
        vector: orAbsent(payload, "vector", ""),
        on_iface: orAbsent(payload, "on_iface", ""),
        attacker_v4: pyOr3(own(payload, "attacker_v4"), own(payload, "attacker_ip"), ""),
        observed_at: orAbsent(payload, "observed_at", ""),
      },
    };
  },
};

export const ipv6Analyzers: readonly Analyzer<any, any>[] = [ipv6LinkLocalLeak]; // eslint-disable-line @typescript-eslint/no-explicit-any
