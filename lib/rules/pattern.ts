import RE2 from "re2";
import type { PatternMatcher } from "./types";

/** A pattern problem; `offset` is the position in the author's pattern text (0-based). */
export interface PatternProblem {
  offset: number;
  message: string;
}

export type PatternTranslation =
  | { ok: true; re2Source: string; notes: string[] }
  | { ok: false; problems: PatternProblem[] };

/** Bump when the translation changes: stored definitions carrying an older value are recompiled. */
export const PATTERN_TRANSLATOR_VERSION = 1;

/**
 * Limits on what a rule author's pattern may be (every pattern of DECNET's pack and ours is below
 * 700 characters and 3 levels of groups). RE2 compiles in time that grows with the square of the
 * group nesting: `(?:a` nested 20,000 deep took 0.56 s, 160,000 deep 51 s — on whatever thread
 * validates a draft.
 */
export const MAX_PATTERN_LENGTH = 4096;
export const MAX_PATTERN_NESTING = 32;
/**
 * Budget of counted repetition, in expanded units: each `{m,n}` counts its larger bound, times the
 * bounds of the repeated groups around it. RE2 compiles counted repeats by copying, and the time
 * grows faster than linearly with the copies: 16 × `\d{1,1000}` in one pattern took 364 ms.
 */
export const MAX_REPEAT_UNITS = 2000;

/** The first limit a pattern crosses (length, group nesting), or null. Linear. */
export function patternLimitProblem(pattern: string): PatternProblem | null {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { offset: MAX_PATTERN_LENGTH, message: `pattern is ${pattern.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed (split it into several rules)` };
  }
  let depth = 0;
  let inClass = false;
  // Groups (open offset) and counted repeats (offset, bound) as they appear, for the budget below.
  const open: number[] = [];
  const groups: { start: number; end: number; bound: number }[] = [];
  const repeats: { at: number; bound: number }[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
      if (pattern[i + 1] === "^") i++;
      if (pattern[i + 1] === "]") i++;
    } else if (c === "(") {
      depth++;
      open.push(i);
      if (depth > MAX_PATTERN_NESTING) return { offset: i, message: `groups are nested more than ${MAX_PATTERN_NESTING} deep here; flatten the pattern` };
    } else if (c === ")") {
      if (depth > 0) depth--;
      const start = open.pop();
      const bound = countedBound(pattern, i + 1);
      if (start !== undefined && bound > 1) groups.push({ start, end: i, bound });
    } else if (c === "{") {
      const bound = countedBound(pattern, i);
      if (bound > 0) repeats.push({ at: i, bound });
    }
  }
  lastRepeatUnits = 0;
  let units = 0;
  for (const r of repeats) {
    let weight = r.bound;
    for (const g of groups) if (g.start < r.at && r.at < g.end) weight *= g.bound;
    units += weight;
    if (units > MAX_REPEAT_UNITS) {
      return { offset: r.at, message: `counted repetition here brings the pattern to more than ${MAX_REPEAT_UNITS} repeated units ({m,n} bounds, multiplied inside repeated groups); use + or * instead of large bounds` };
    }
  }
  lastRepeatUnits = units;
  return null;
}

let lastRepeatUnits = 0;

/** The counted-repetition units of a pattern within the limits (see MAX_REPEAT_UNITS), or null when it crosses one. */
export function patternRepeatUnits(pattern: string): number | null {
  return patternLimitProblem(pattern) === null ? lastRepeatUnits : null;
}

/** The larger bound of a `{m}`, `{m,}` or `{m,n}` quantifier at `i` (0 when there is none there). */
function countedBound(pattern: string, i: number): number {
  const m = /^\{(\d{1,9})(?:(,)(\d{0,9}))?\}/.exec(pattern.slice(i, i + 24));
  if (!m) return 0;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : m[3] ? Number(m[3]) : lo;
  return Math.max(lo, hi);
}

/** RE2's limit on counted repetition ({m,n}); Python allows more but it cannot run in linear memory. */
const MAX_REPEAT = 1000;
const FLAG_LETTERS = new Set(["a", "i", "L", "m", "s", "u", "x"]);

/**
 * Translates a Python `re` pattern into RE2 syntax with the same search semantics (SPEC §4.2).
 * Accepts leading global flags (`(?i)`, `(?sm)`, `(?x)` …), `(?P<name>…)`, `\A`, `\Z`, scoped
 * flags, `(?#…)` comments and a trailing boundary lookahead (rewritten to a group, which is
 * equivalent for a yes/no search). Everything the linear-time engine cannot run (backreferences,
 * lookbehind, other lookarounds, atomic groups, possessive quantifiers, conditionals) is reported
 * with its offset and what to write instead.
 */
export function translatePythonPattern(pattern: string): PatternTranslation {
  const limit = patternLimitProblem(pattern);
  if (limit !== null) return { ok: false, problems: [limit] };
  const problems: PatternProblem[] = [];
  const notes: string[] = [];
  let pos = 0;
  const flags = new Set<string>();

  // Leading global flag groups: (?i), (?is)(?x)…
  for (;;) {
    const m = /^\(\?([A-Za-z]+)\)/.exec(pattern.slice(pos));
    if (!m || !m[1]) break;
    for (const f of m[1]) {
      if (!FLAG_LETTERS.has(f)) {
        problems.push({ offset: pos, message: `unknown inline flag "${f}" in "(?${m[1]})"; Python allows a, i, L, m, s, u, x` });
      } else if (f === "L") {
        problems.push({ offset: pos, message: 'the locale flag "(?L)" only applies to bytes patterns; remove it' });
      } else {
        flags.add(f);
      }
    }
    pos += m[0].length;
  }

  let body = pattern.slice(pos);
  const bodyOffset = pos;
  // Map from an index in `body` (after verbose stripping) back to the author's offset.
  let offsetMap: number[] | null = null;
  if (flags.has("x")) {
    const stripped = stripVerbose(body);
    body = stripped.text;
    offsetMap = stripped.map;
  }
  const origin = (i: number): number => bodyOffset + (offsetMap ? (offsetMap[i] ?? body.length) : i);

  const multiline = flags.has("m");
  let out = "";
  let depth = 0;
  // Index in `out` where the atom that a quantifier would apply to ends, to detect possessive "++".
  let lastWasQuantifier = false;
  let i = 0;
  // Positions of currently open groups: whether the group is a rewritten lookahead.
  const groupStack: { lookahead: boolean; start: number }[] = [];

  const fail = (at: number, message: string): void => {
    problems.push({ offset: origin(at), message });
  };

  while (i < body.length) {
    const c = body[i] as string;
    if (c === "\\") {
      const r = translateEscape(body, i, false);
      if ("error" in r) fail(i, r.error);
      else out += r.text;
      i = r.next;
      lastWasQuantifier = false;
      continue;
    }
    if (c === "[") {
      const r = translateClass(body, i);
      if ("error" in r) {
        fail(r.at, r.error);
        i = r.next;
      } else {
        out += r.text;
        i = r.next;
      }
      lastWasQuantifier = false;
      continue;
    }
    if (c === "(") {
      if (body[i + 1] !== "?") {
        groupStack.push({ lookahead: false, start: i });
        depth++;
        out += "(";
        i++;
        lastWasQuantifier = false;
        continue;
      }
      const rest = body.slice(i + 2);
      if (rest.startsWith(":")) {
        groupStack.push({ lookahead: false, start: i });
        depth++;
        out += "(?:";
        i += 3;
      } else if (rest.startsWith("P<") || (rest.startsWith("<") && !rest.startsWith("<=") && !rest.startsWith("<!"))) {
        const nameStart = i + 2 + (rest.startsWith("P<") ? 2 : 1);
        const close = body.indexOf(">", nameStart);
        const name = close === -1 ? "" : body.slice(nameStart, close);
        if (close === -1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          fail(i, "bad group name: write (?P<name>…) with a name of letters, digits and underscores");
          i = close === -1 ? body.length : close + 1;
        } else {
          out += `(?P<${name}>`;
          i = close + 1;
        }
        groupStack.push({ lookahead: false, start: i });
        depth++;
      } else if (rest.startsWith("P=")) {
        const close = body.indexOf(")", i);
        fail(i, `backreference "${body.slice(i, close === -1 ? undefined : close + 1)}" cannot run in linear time; match the repeated text explicitly or drop the repetition check`);
        i = close === -1 ? body.length : close + 1;
      } else if (rest.startsWith("=")) {
        const close = findGroupEnd(body, i);
        const trailing = close !== -1 && depth === 0 && (close + 1 === body.length || body[close + 1] === "|");
        if (trailing) {
          groupStack.push({ lookahead: true, start: i });
          depth++;
          out += "(?:";
          i += 3;
          notes.push("trailing lookahead rewritten to a non-capturing group");
        } else {
          fail(i, 'lookahead "(?=…)" is only supported at the very end of the pattern (as a boundary check); move it to the end or make it part of the match');
          i += 3;
          groupStack.push({ lookahead: false, start: i });
          depth++;
        }
      } else if (rest.startsWith("!")) {
        fail(i, 'negative lookahead "(?!…)" cannot run in linear time; express the exclusion with a character class or split the rule');
        i += 3;
        groupStack.push({ lookahead: false, start: i });
        depth++;
      } else if (rest.startsWith("<=") || rest.startsWith("<!")) {
        fail(i, `lookbehind "(?${rest.slice(0, 2)}…)" cannot run in linear time; match the preceding text as part of the pattern instead`);
        i += 4;
        groupStack.push({ lookahead: false, start: i });
        depth++;
      } else if (rest.startsWith(">")) {
        fail(i, 'atomic group "(?>…)" cannot run in linear time; use a plain group "(?:…)" (RE2 never backtracks, so it is not needed)');
        i += 3;
        groupStack.push({ lookahead: false, start: i });
        depth++;
      } else if (rest.startsWith("(")) {
        fail(i, 'conditional group "(?(id)yes|no)" is not supported; write the alternatives out with "|"');
        i += 3;
        groupStack.push({ lookahead: false, start: i });
        depth++;
      } else if (rest.startsWith("#")) {
        const close = body.indexOf(")", i);
        i = close === -1 ? body.length : close + 1;
        if (close === -1) fail(i, 'unterminated comment "(?#…"');
        continue;
      } else {
        const m = /^([A-Za-z]*)(?:-([A-Za-z]+))?([:)])/.exec(rest);
        if (!m) {
          fail(i, `unknown group syntax "(?${rest.slice(0, 1)}"`);
          i += 2;
        } else {
          const on = m[1] ?? "";
          const off = m[2] ?? "";
          if (m[3] === ")") {
            fail(i, `global flags "(?${on}${off ? "-" + off : ""})" must be at the start of the pattern (Python 3.11 rejects them elsewhere too); use a scoped group "(?${on}:…)"`);
            i += 2 + m[0].length;
          } else {
            const bad = [...on, ...off].filter((f) => !"imsxau".includes(f));
            if (bad.length > 0) fail(i, `unsupported scoped flag "${bad.join("")}"; allowed: i, m, s (a and u are accepted and ignored)`);
            if ([...on, ...off].includes("x")) fail(i, "the verbose flag is only supported as a leading global flag (?x)");
            const keepOn = [...on].filter((f) => "ims".includes(f)).join("");
            const keepOff = [...off].filter((f) => "ims".includes(f)).join("");
            out += keepOn || keepOff ? `(?${keepOn}${keepOff ? "-" + keepOff : ""}:` : "(?:";
            groupStack.push({ lookahead: false, start: i });
            depth++;
            i += 2 + m[0].length;
          }
        }
      }
      lastWasQuantifier = false;
      continue;
    }
    if (c === ")") {
      if (groupStack.length === 0) {
        fail(i, 'unbalanced ")": remove it or escape it as "\\)"');
      } else {
        groupStack.pop();
        depth--;
      }
      out += ")";
      i++;
      lastWasQuantifier = false;
      continue;
    }
    if (c === "*" || c === "+" || c === "?") {
      if (lastWasQuantifier && c === "+") {
        fail(i, 'possessive quantifier (e.g. "a++") is not supported; drop the extra "+" (RE2 never backtracks, so it is not needed)');
        i++;
        continue;
      }
      if (lastWasQuantifier && c === "?") {
        // lazy modifier
        out += "?";
        i++;
        lastWasQuantifier = false;
        continue;
      }
      out += c;
      i++;
      lastWasQuantifier = true;
      continue;
    }
    if (c === "{") {
      const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(body.slice(i));
      if (!m || (m[1] === "" && m[2] === undefined)) {
        // Python treats a "{" that does not start a valid repeat as a literal.
        out += "\\{";
        i++;
        lastWasQuantifier = false;
        continue;
      }
      const min = m[1] === "" ? 0 : Number(m[1]);
      const max = m[3] === undefined || m[3] === "" ? null : Number(m[3]);
      if (min > MAX_REPEAT || (max !== null && max > MAX_REPEAT)) {
        fail(i, `repetition count ${m[0]} is over ${MAX_REPEAT}; use a smaller bound or "+"/"*"`);
      } else if (max !== null && max < min) {
        fail(i, `bad repetition ${m[0]}: the minimum is larger than the maximum`);
      }
      out += m[2] === undefined ? `{${min}}` : `{${min},${max === null ? "" : max}}`;
      i += m[0].length;
      lastWasQuantifier = true;
      continue;
    }
    if (c === "}") {
      out += "\\}";
      i++;
      lastWasQuantifier = false;
      continue;
    }
    if (c === "$" && !multiline) {
      // Python's "$" also matches just before a trailing newline; RE2's only at the very end.
      out += "(?:\\n?\\z)";
      i++;
      lastWasQuantifier = false;
      continue;
    }
    out += c;
    i++;
    lastWasQuantifier = false;
  }
  if (groupStack.length > 0) {
    const g = groupStack[groupStack.length - 1] as { start: number };
    fail(g.start, 'missing ")": a group is not closed');
  }
  if (problems.length > 0) return { ok: false, problems };
  const keep = [...flags].filter((f) => f === "i" || f === "m" || f === "s").sort().join("");
  const re2Source = (keep ? `(?${keep})` : "") + out;
  return { ok: true, re2Source, notes };
}

/**
 * Compiles a Python-syntax pattern to a linear-time matcher, or returns the problems.
 * With `lazy` (text already validated when it was stored) RE2 compiles on first use, which keeps
 * loading thousands of rules fast; the engine builds its RE2.Set from `re2Source` anyway.
 */
export function compilePattern(
  pattern: string,
  options: { lazy?: boolean } = {},
): { ok: true; matcher: PatternMatcher } | { ok: false; problems: PatternProblem[] } {
  const t = translatePythonPattern(pattern);
  if (!t.ok) return t;
  let re: RE2 | null = null;
  if (!options.lazy) {
    try {
      re = new RE2(t.re2Source);
    } catch (err) {
      return { ok: false, problems: [{ offset: 0, message: `the regex engine rejects the pattern: ${err instanceof Error ? err.message : String(err)}` }] };
    }
  }
  const source = t.re2Source;
  const matcher: PatternMatcher = Object.freeze({
    source: pattern,
    re2Source: source,
    test: (input: string) => (re ??= new RE2(source)).test(input),
  });
  return { ok: true, matcher };
}

type Piece = { text: string; next: number } | { error: string; next: number };

function translateEscape(s: string, i: number, inClass: boolean): Piece {
  const c = s[i + 1];
  if (c === undefined) return { error: 'pattern ends with a lone "\\"; escape it as "\\\\"', next: i + 1 };
  if (/[1-9]/.test(c) && !inClass) {
    return { error: `backreference "\\${c}" cannot run in linear time; match the repeated text explicitly`, next: i + 2 };
  }
  if (c === "0") {
    const m = /^[0-7]{0,2}/.exec(s.slice(i + 2));
    const oct = "0" + (m?.[0] ?? "");
    return { text: `\\x{${parseInt(oct, 8).toString(16)}}`, next: i + 2 + (m?.[0].length ?? 0) };
  }
  if (inClass && /[1-7]/.test(c)) {
    const m = /^[0-7]{1,3}/.exec(s.slice(i + 1));
    const oct = m?.[0] ?? c;
    return { text: `\\x{${parseInt(oct, 8).toString(16)}}`, next: i + 1 + oct.length };
  }
  switch (c) {
    case "Z":
      return { text: inClass ? "Z" : "\\z", next: i + 2 };
    case "A":
      return { text: inClass ? "A" : "\\A", next: i + 2 };
    case "b":
      return { text: inClass ? "\\x{8}" : "\\b", next: i + 2 };
    case "u":
    case "U": {
      const len = c === "u" ? 4 : 8;
      const hex = s.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) {
        return { error: `"\\${c}" needs exactly ${len} hex digits`, next: i + 2 };
      }
      return { text: `\\x{${hex}}`, next: i + 2 + len };
    }
    case "x": {
      const hex = s.slice(i + 2, i + 4);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { error: '"\\x" needs exactly 2 hex digits', next: i + 2 };
      return { text: `\\x${hex}`, next: i + 4 };
    }
    case "N":
      return { error: 'named Unicode escapes "\\N{…}" are not supported; write the character itself or "\\uXXXX"', next: i + 2 };
    case "z":
    case "G":
    case "K":
    case "R":
    case "X":
    case "Q":
    case "E":
    case "C":
    case "p":
    case "P":
      return { error: `"\\${c}" is not Python \`re\` syntax`, next: i + 2 };
    default:
      if (/[a-zA-Z]/.test(c) && !"dDsSwWBfnrtv".includes(c)) {
        return { error: `bad escape "\\${c}"`, next: i + 2 };
      }
      if (c === "v") return { text: "\\x0b", next: i + 2 };
      return { text: `\\${c}`, next: i + 2 };
  }
}

function translateClass(s: string, start: number): { text: string; next: number } | { error: string; next: number; at: number } {
  let i = start + 1;
  let out = "[";
  if (s[i] === "^") {
    out += "^";
    i++;
  }
  // A "]" right after "[" or "[^" is a literal in Python.
  if (s[i] === "]") {
    out += "\\]";
    i++;
  }
  while (i < s.length) {
    const c = s[i] as string;
    if (c === "]") return { text: out + "]", next: i + 1 };
    if (c === "\\") {
      const r = translateEscape(s, i, true);
      if ("error" in r) return { error: r.error, next: s.length, at: i };
      out += r.text;
      i = r.next;
      continue;
    }
    // Python treats "[" inside a class as a literal; RE2 would read "[:alpha:]" as a POSIX class.
    if (c === "[") {
      out += "\\[";
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return { error: 'unterminated character class: add the closing "]"', next: s.length, at: start };
}

/** Index of the ")" closing the group opened at `open`, or -1. */
function findGroupEnd(s: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < s.length) {
    const c = s[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "[") {
      i++;
      if (s[i] === "^") i++;
      if (s[i] === "]") i++;
      while (i < s.length && s[i] !== "]") i += s[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "(") depth++;
    if (c === ")") {
      depth--;
      if (depth === 0) return i;
    }
    i++;
  }
  return -1;
}

/** Removes verbose-mode whitespace and comments, keeping a map to the author's offsets. */
function stripVerbose(s: string): { text: string; map: number[] } {
  let text = "";
  const map: number[] = [];
  let i = 0;
  let inClass = false;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === "\\" && i + 1 < s.length) {
      text += c + s[i + 1];
      map.push(i, i + 1);
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      text += c;
      map.push(i);
      i++;
      continue;
    }
    if (c === "[") {
      inClass = true;
      text += c;
      map.push(i);
      i++;
      if (s[i] === "^") {
        text += "^";
        map.push(i);
        i++;
      }
      if (s[i] === "]") {
        text += "]";
        map.push(i);
        i++;
      }
      continue;
    }
    if (c === "#") {
      while (i < s.length && s[i] !== "\n") i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    text += c;
    map.push(i);
    i++;
  }
  return { text, map };
}
