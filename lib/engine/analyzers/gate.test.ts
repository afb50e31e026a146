import { describe, expect, it } from "vitest";
import { ANALYZER_SPECS } from "../../rules/analyzers";
import { compileRule } from "../../rules/parse-rule";
import { loadRulesDir } from "../../rules/rule-files";
import { prepareAnalyzer } from "./index";
import { DECNET_SHAPED_RULES } from "./testing/decnet-shaped";
import { testContext } from "./testing/context";

// The engine calls a predicate only when one of its kind's `reads` fields is set (engine.ts,
// anyPresent). That is sound only if no predicate fires or skips without them: checked here for
// every kind, with DECNET's parameters, the sample pack's and the defaults, on seeded payloads
// made of every other kind's fields and values of every JSON type.

const BTC = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa";
const VALUES: unknown[] = [
  "",
  "x",
  `URGENT invoice: send the transfer, bitcoin ${BTC} ransom decrypt /.env /var/run/secrets/kubernetes.io/serviceaccount privileged:true`,
  "A".repeat(6000),
  "fe80::1",
  "malicious",
  0,
  1,
  5,
  10_000_000,
  -1,
  1.5,
  true,
  false,
  null,
  [],
  ["x"],
  [14, 18, 22],
  ["ru", "vpn"],
  { a: 1 },
];

/** Parameter sets per kind, and every payload field the rules' `tests:` examples use. */
async function paramSets(): Promise<{ sets: Map<string, Record<string, unknown>[]>; testFields: string[] }> {
  const out = new Map<string, Record<string, unknown>[]>();
  const add = (kind: string, params: Record<string, unknown>): void => {
    const list = out.get(kind) ?? [];
    list.push(params);
    out.set(kind, list);
  };
  for (const kind of ANALYZER_SPECS.keys()) add(kind, {});
  const pack = await loadRulesDir("rules/ttp");
  const decnet = DECNET_SHAPED_RULES.map((r) => compileRule(r.yaml, { source: r.ruleId, runTests: false }));
  const testFields = new Set<string>();
  for (const r of [...decnet, ...pack.rules]) {
    if (r.match.type === "analyzer") add(r.match.kind, r.match.params as Record<string, unknown>);
    for (const t of r.tests) for (const k of Object.keys(t.event.payload)) testFields.add(k);
  }
  return { sets: out, testFields: [...testFields] };
}

describe("the engine's read gate", () => {
  it("names no Object.prototype property among any kind's reads", () => {
    for (const spec of ANALYZER_SPECS.values()) for (const k of spec.reads) expect(k in Object.prototype, `${spec.kind} reads ${k}`).toBe(false);
  });

  it("is sound: without its read fields (absent or null) no predicate fires or skips", async () => {
    const { sets, testFields } = await paramSets();
    const allFields = [...new Set([...[...ANALYZER_SPECS.values()].flatMap((s) => s.reads), ...testFields, "stored_as", "decky_id"])];
    let seed = 5;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let checked = 0;
    for (const [kind, paramsList] of sets) {
      const spec = ANALYZER_SPECS.get(kind);
      if (!spec || spec.reads.length === 0) continue;
      const reads = new Set(spec.reads);
      for (const params of paramsList) {
        const prepared = prepareAnalyzer({ kind, params });
        expect(prepared, `${kind} ${JSON.stringify(params)}`).not.toBeNull();
        if (prepared === null) continue;
        expect(prepared.gate).toEqual(spec.reads);
        for (let k = 0; k < 150; k++) {
          const payload: Record<string, unknown> = {};
          for (const f of allFields) {
            if (reads.has(f)) {
              if (rnd(3) === 0) payload[f] = null;
            } else if (rnd(2) === 0) payload[f] = VALUES[rnd(VALUES.length)];
          }
          // A disk body a worker could read for this payload (the reader needs decky_id and stored_as).
          const body = (): string | null => (typeof payload.stored_as === "string" && typeof payload.decky_id === "string" ? (VALUES[2] as string) + " " + "QUFB".repeat(2000) : null);
          const outcome = prepared.analyzer.evaluate(prepared.config, payload, testContext([], payload, body));
          expect(outcome, `${kind} ${JSON.stringify(params)} on ${JSON.stringify(payload).slice(0, 400)}`).toBeNull();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });
});
