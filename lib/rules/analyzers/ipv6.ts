// DECNET's IPv6 link-local leak analyzer (analyzers.md §2 row 36): parameter schema.
import { z } from "zod";
import type { AnalyzerSpec } from "./types";

/** The kind takes no parameters (upstream reads none). */
export const ipv6LinkLocalLeakParams = z.looseObject({});

export const ipv6Specs: readonly AnalyzerSpec[] = [
  {
    kind: "lifter:ipv6_link_local_leak",
    family: "ipv6",
    summary:
      'Fires when addr (or src_ip when addr is empty) starts with "fe80:", case-insensitively: an IPv6 link-local address leaked by the attacker.',
    params: ipv6LinkLocalLeakParams,
    patternParams: [],
    reads: ["addr", "src_ip", "mac_oui", "iid_kind", "vector", "on_iface", "attacker_v4", "attacker_ip", "observed_at"],
  },
];
