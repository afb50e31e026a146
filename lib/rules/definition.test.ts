import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileFromDefinition, definitionJson, DEFINITION_FORMAT } from "./definition";
import { compileRule } from "./parse-rule";
import type { CompiledRule } from "./types";

const PACK = path.resolve(__dirname, "../../rules/ttp");

function comparable(r: CompiledRule) {
  return { ...r, appliesTo: [...r.appliesTo], matcher: r.matcher ? { source: r.matcher.source, re2Source: r.matcher.re2Source } : null };
}

describe("stored definitions", () => {
  it("rebuild exactly the rule the YAML compiles to, for every rule of the sample pack", () => {
    const files = readdirSync(PACK).filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThan(30);
    for (const f of files) {
      const text = readFileSync(path.join(PACK, f), "utf8");
      const rule = compileRule(text, { source: f });
      const rebuilt = compileFromDefinition(definitionJson(rule), text, rule.state);
      expect(rebuilt && comparable(rebuilt)).toEqual(comparable(rule));
      expect(Object.isFrozen(rebuilt)).toBe(true);
      if (rule.matcher && rule.tests[0]) {
        const v = Object.values(rule.tests[0].event.payload).find((x) => typeof x === "string") as string;
        expect(rebuilt?.matcher?.test(v)).toBe(rule.matcher.test(v));
      }
    }
  });

  it("are ignored when absent, malformed or from another format version", () => {
    const text = readFileSync(path.join(PACK, "R1001.yaml"), "utf8");
    const rule = compileRule(text, { source: "R1001" });
    expect(compileFromDefinition(null, text)).toBeNull();
    expect(compileFromDefinition("{nope", text)).toBeNull();
    expect(compileFromDefinition(definitionJson(rule).replace(DEFINITION_FORMAT, "0/0"), text)).toBeNull();
  });
});
