import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// WCAG 2.x AA for both colour sets of globals.css: 4.5:1 for text, 3:1 for the borders and focus
// rings that show where a control is (1.4.11). Parsed from the stylesheet, computed here.

type Scheme = "light" | "dark";

function parseThemeColours(css: string): Record<Scheme, Map<string, string>> {
  const root = /:root\s*\{([^}]*)\}/.exec(css)?.[1];
  if (!root) throw new Error("globals.css has no :root block");
  const sets: Record<Scheme, Map<string, string>> = { light: new Map(), dark: new Map() };
  for (const m of root.matchAll(/(--[\w-]+)\s*:\s*light-dark\(\s*([^,]+?)\s*,\s*([^;]+?)\s*\)\s*;/g)) {
    sets.light.set(m[1] as string, m[2] as string);
    sets.dark.set(m[1] as string, m[3] as string);
  }
  return sets;
}

function rgbOf(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`not a #rgb/#rrggbb colour: ${hex}`);
  const h = (m[1] as string).length === 3 ? [...(m[1] as string)].map((c) => c + c).join("") : (m[1] as string);
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255) as [number, number, number];
}

/** Relative luminance (WCAG 2.x definition). */
function luminance(hex: string): number {
  const [r, g, b] = rgbOf(hex).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

// [foreground, background] as the stylesheets combine them.
const TEXT: [string, string][] = [
  ["--fg", "--bg"], ["--fg", "--card"], ["--fg", "--input-bg"], ["--fg", "--head-bg"], ["--fg", "--subtle-bg"],
  ["--fg", "--diff-add-bg"], ["--fg", "--diff-del-bg"], ["--fg", "--ok-bg"], ["--fg", "--danger-bg"], ["--fg", "--warn-bg"],
  ["--muted", "--bg"], ["--muted", "--card"], ["--muted", "--head-bg"], ["--muted", "--subtle-bg"], ["--muted", "--warn-bg"],
  ["--accent", "--bg"], ["--accent", "--card"], ["--accent", "--head-bg"],
  ["--danger", "--bg"], ["--danger", "--card"], ["--danger", "--danger-bg"], ["--danger", "--head-bg"],
  ["--warn", "--bg"], ["--warn", "--card"], ["--warn", "--warn-bg"],
  ["--ok", "--bg"], ["--ok", "--card"], ["--ok", "--ok-bg"],
  ["--on-accent", "--accent"], ["--on-accent", "--danger"],
  ["--topbar-fg", "--topbar-bg"], ["--topbar-link", "--topbar-bg"], ["--topbar-muted", "--topbar-bg"],
];
const UI: [string, string][] = [
  ["--control", "--bg"], ["--control", "--card"], ["--control", "--input-bg"],
  ["--focus", "--bg"], ["--focus", "--card"], ["--topbar-link", "--topbar-bg"],
  ["--accent", "--card"],
];

const css = readFileSync(path.join(__dirname, "globals.css"), "utf8");
const sets = parseThemeColours(css);

describe("theme colours (globals.css)", () => {
  it("defines the same variables in both sets, each a light-dark() pair", () => {
    expect(sets.light.size).toBeGreaterThan(20);
    expect([...sets.dark.keys()]).toEqual([...sets.light.keys()]);
    // Every colour variable of :root is a pair: a plain one would not follow the theme.
    const plain = [...(/:root\s*\{([^}]*)\}/.exec(css)?.[1] ?? "").matchAll(/(--[\w-]+)\s*:\s*(?!\s|light-dark)([^;]+);/g)].map((m) => m[1]);
    expect(plain).toEqual([]);
  });

  it("computes contrast as WCAG defines it", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(contrast("#fff", "#fff")).toBe(1);
  });

  for (const scheme of ["light", "dark"] as const) {
    const colour = (name: string): string => {
      const v = sets[scheme].get(name);
      if (v === undefined) throw new Error(`${name} is not defined in the ${scheme} set`);
      return v;
    };
    it(`${scheme}: text pairs reach 4.5:1`, () => {
      const failing = TEXT.map(([f, b]) => ({ pair: `${f} on ${b}`, ratio: Number(contrast(colour(f), colour(b)).toFixed(2)) })).filter((p) => p.ratio < 4.5);
      expect(failing).toEqual([]);
    });
    it(`${scheme}: control borders and focus rings reach 3:1`, () => {
      const failing = UI.map(([f, b]) => ({ pair: `${f} on ${b}`, ratio: Number(contrast(colour(f), colour(b)).toFixed(2)) })).filter((p) => p.ratio < 3);
      expect(failing).toEqual([]);
    });
  }
});
