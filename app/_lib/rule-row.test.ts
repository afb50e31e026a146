import { describe, expect, it } from "vitest";
import type { RuleState } from "../../lib/state/semantics";
import { applyFilters, effectiveAt, EMPTY_FILTERS, filtersFromParams, filtersToQuery, fromCompactRows, searchText, toCompactRows, type RuleRow } from "./rule-row";

const NOW = Date.parse("2026-11-29T10:00:00Z");
const ENABLED: RuleState = { state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null };

function row(id: string, patch: Partial<RuleRow> = {}): RuleRow {
  return {
    ruleId: id,
    name: `name of ${id}`,
    ruleVersion: 1,
    emits: [{ tactic: "TA0007", technique: "T1082", sub: null, confidence: 0.5 }],
    kinds: ["command"],
    state: ENABLED,
    revision: 1,
    origin: "filesystem",
    updatedAt: "2026-11-29T09:00:00Z",
    updatedBy: null,
    ...patch,
  };
}

const disabledUntil = (iso: string | null): RuleState => ({ ...ENABLED, state: "disabled", expires_at: iso, set_by: "ana", reason: "noisy" });

describe("rule list filtering", () => {
  it("treats a state as the default from the instant it expires", () => {
    const s = disabledUntil("2026-11-29T10:00:00Z");
    expect(effectiveAt(s, NOW - 1).state).toBe("disabled");
    expect(effectiveAt(s, NOW)).toEqual(ENABLED);
  });

  it("filters by state, expiry window, tactic, technique (incl. sub-technique), kind, origin and search terms", () => {
    const rows = [
      row("R1"),
      row("R2", { state: disabledUntil("2026-11-29T10:30:00Z") }),
      row("R3", { state: disabledUntil("2026-11-30T10:30:00Z"), kinds: ["http_request"], origin: "dashboard" }),
      row("R4", { emits: [{ tactic: "TA0002", technique: "T1059", sub: "T1059.004", confidence: 0.9 }], name: "reverse shell" }),
    ];
    const names = { T1059: { name: "Command and Scripting Interpreter", url: "" } };
    const descriptions: Record<string, string> = { R1: "Reads /etc/shadow" };
    const texts = new Map(rows.map((r) => [r.ruleId, searchText(r, names, descriptions[r.ruleId])]));
    const ids = (patch: Partial<typeof EMPTY_FILTERS>) => applyFilters(rows, texts, { ...EMPTY_FILTERS, ...patch }, NOW).map((r) => r.ruleId);
    expect(ids({ state: "disabled" })).toEqual(["R2", "R3"]);
    expect(ids({ state: "enabled" })).toEqual(["R1", "R4"]);
    expect(ids({ within: "1h" })).toEqual(["R2"]);
    expect(ids({ state: "expiring", sort: "expires" })).toEqual(["R2", "R3"]);
    expect(ids({ tactic: "TA0002" })).toEqual(["R4"]);
    expect(ids({ technique: "T1059.004" })).toEqual(["R4"]);
    expect(ids({ kind: "http_request" })).toEqual(["R3"]);
    expect(ids({ origin: "dashboard" })).toEqual(["R3"]);
    expect(ids({ q: "REVERSE interpreter" })).toEqual(["R4"]);
    expect(ids({ q: "reverse nothing" })).toEqual([]);
    expect(ids({ q: "/etc/SHADOW" })).toEqual(["R1"]);
    // R2 expires at 10:30: half an hour later it is enabled again and leaves the "disabled" filter.
    expect(applyFilters(rows, texts, { ...EMPTY_FILTERS, state: "disabled" }, Date.parse("2026-11-29T10:30:00Z")).map((r) => r.ruleId)).toEqual(["R3"]);
  });

  it("sorts rows that arrive out of order and keeps rows already in order", () => {
    const ids = (rows: RuleRow[], sort: (typeof EMPTY_FILTERS)["sort"]) => applyFilters(rows, new Map(), { ...EMPTY_FILTERS, sort }, NOW).map((r) => r.ruleId);
    expect(ids([row("R2"), row("R10"), row("R1")], "id")).toEqual(["R1", "R10", "R2"]);
    expect(ids([row("R1"), row("R10"), row("R2")], "id")).toEqual(["R1", "R10", "R2"]);
    expect(ids([row("A", { name: "b" }), row("B", { name: "a" })], "name")).toEqual(["B", "A"]);
  });

  it("round-trips filters through the URL and drops unknown values", () => {
    const f = { ...EMPTY_FILTERS, q: "ssh key", state: "clipped" as const, within: "24h", sort: "name" as const };
    const back = filtersFromParams(new URLSearchParams(filtersToQuery(f).slice(1)));
    expect(back).toEqual(f);
    expect(filtersFromParams({ state: "bogus", within: "3y", sort: "evil" })).toEqual(EMPTY_FILTERS);
    expect(filtersToQuery(EMPTY_FILTERS)).toBe("");
  });
});

describe("compact rows (/api/rules/rows)", () => {
  it("round-trips rows with several mappings and a set state, and a row in the default state", () => {
    const full = row("R7", {
      emits: [
        { tactic: "TA0007", technique: "T1082", sub: null, confidence: 0.5 },
        { tactic: "TA0002", technique: "T1059", sub: "T1059.004", confidence: 0.8 },
      ],
      kinds: ["command", "http"],
      state: { state: "clipped", confidence_max: 0.3, expires_at: "2026-11-30T00:00:00Z", reason: "noisy", set_by: "ana", set_at: "2026-11-29T09:00:00Z" },
      updatedBy: "ana",
    });
    const rows = [full, row("R8"), row("R9", { origin: "dashboard", kinds: [], emits: [] })];
    const payload = JSON.parse(JSON.stringify(toCompactRows(rows))) as ReturnType<typeof toCompactRows>;
    expect(fromCompactRows(payload)).toEqual(rows);
    expect(payload.rows[1]?.[5]).toBe(0);
    // Each recurring string once in the table.
    expect(payload.strings.filter((s) => s === "command")).toHaveLength(1);
    expect(payload.strings.filter((s) => s === "TA0007")).toHaveLength(1);
  });

  it("refuses an index outside the string table", () => {
    const payload = toCompactRows([row("R1")]);
    expect(() => fromCompactRows({ ...payload, strings: payload.strings.slice(0, 1) })).toThrow(/no string/);
  });

  it("is smaller than the rows as JSON", () => {
    const rows = Array.from({ length: 100 }, (_, i) => row(`R${i}`));
    expect(JSON.stringify(toCompactRows(rows)).length).toBeLessThan(JSON.stringify(rows).length / 2);
  });
});
