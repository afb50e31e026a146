// Where the cursor is in a rule document, from indentation alone (no parser: the draft being
// typed is usually not valid YAML). Pure; used by the editor's completion and hover providers.

interface LineInfo {
  /** Blank or comment-only. */
  empty: boolean;
  /** Columns (0-based) of the `- ` list markers at the start of the line. */
  dashes: number[];
  /** Column (0-based) of the content after the indentation and list markers. */
  col: number;
  key: string | null;
  /** Text after `key:`, comment stripped, trimmed ("" when the value is on the next lines). */
  value: string | null;
}

const KEY_RE = /^([A-Za-z0-9_][\w.-]*)\s*:(?=\s|$)(.*)$/;

function stripComment(v: string): string {
  // A " #" outside quotes starts a comment; good enough for the one-line scalars of a rule.
  let quote: string | null = null;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || v[i - 1] === " " || v[i - 1] === "\t")) return v.slice(0, i);
  }
  return v;
}

export function analyseLine(line: string): LineInfo {
  let i = 0;
  while (line[i] === " ") i++;
  const dashes: number[] = [];
  while (line[i] === "-" && (line[i + 1] === " " || line[i + 1] === undefined)) {
    dashes.push(i);
    i++;
    while (line[i] === " ") i++;
  }
  const rest = line.slice(i);
  const empty = dashes.length === 0 && (rest.trim() === "" || rest.startsWith("#"));
  const m = KEY_RE.exec(rest);
  return { empty, dashes, col: i, key: m?.[1] ?? null, value: m ? stripComment(m[2] ?? "").trim() : null };
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"')))) return t.slice(1, -1);
  return t;
}

export interface YamlContext {
  /** key: typing a key · value: after `key:` · item: an entry of a list of scalars · none: inside a block scalar or unknown. */
  kind: "key" | "value" | "item" | "none";
  /** Path of the enclosing mapping or list, e.g. "" (top level), "match", "emits[]", "tests[].event", "applies_to[]". */
  container: string;
  /** value: the key being given a value; item: the list's key (e.g. "applies_to"); else null. */
  key: string | null;
  /** Other keys of the same mapping with their scalar values (e.g. technique_id beside a tactic). */
  siblings: Record<string, string>;
}

function joinPath(outerFirst: string[]): string {
  let s = "";
  for (const seg of outerFirst) s += seg === "[]" ? "[]" : s === "" ? seg : `.${seg}`;
  return s;
}

/** Path of the mapping or list that holds the content of line `index` (starting at column `col`, after `dashes`). */
function containerOf(lines: string[], index: number, info: LineInfo): { path: string; inBlockScalar: boolean } {
  const segs: string[] = [];
  let col = info.col;
  // A dash opens an item of a list whose key sits above, at a smaller column or (unindented lists) the same.
  let afterDash = false;
  if (info.dashes.length > 0) {
    for (let d = info.dashes.length - 1; d >= 0; d--) segs.push("[]");
    col = info.dashes[0] as number;
    afterDash = true;
  }
  for (let j = index - 1; j >= 0 && (col > 0 || afterDash); j--) {
    const l = analyseLine(lines[j] ?? "");
    if (l.empty) continue;
    const itemDashes = l.dashes.filter((d) => d < col);
    if (l.col >= col && itemDashes.length > 0) {
      // Same list item as ours, opened on this line ("- technique_id: …" above "  tactic: …").
      for (let d = itemDashes.length - 1; d >= 0; d--) segs.push("[]");
      col = itemDashes[0] as number;
      afterDash = true;
      continue;
    }
    if (l.key !== null && (l.col < col || (afterDash && l.col === col && l.value === ""))) {
      if (l.value !== null && /^[|>]/.test(l.value)) return { path: "", inBlockScalar: true };
      segs.push(l.key);
      if (l.dashes.length > 0) {
        for (let d = l.dashes.length - 1; d >= 0; d--) segs.push("[]");
        col = l.dashes[0] as number;
        afterDash = true;
      } else {
        col = l.col;
        afterDash = false;
      }
    }
  }
  return { path: joinPath(segs.reverse()), inBlockScalar: false };
}

function siblingsOf(lines: string[], index: number, info: LineInfo): Record<string, string> {
  const out: Record<string, string> = {};
  const mcol = info.col;
  const put = (l: LineInfo): void => {
    if (l.key !== null && l.value !== null && !(l.key in out)) out[l.key] = unquote(l.value);
  };
  if (info.dashes.length === 0) {
    for (let j = index - 1; j >= 0; j--) {
      const l = analyseLine(lines[j] ?? "");
      if (l.empty) continue;
      if (l.col < mcol) break;
      if (l.col === mcol) {
        put(l);
        if (l.dashes.some((d) => d < mcol)) break; // the item's first key
      }
    }
  }
  for (let j = index + 1; j < lines.length; j++) {
    const l = analyseLine(lines[j] ?? "");
    if (l.empty) continue;
    if (l.col < mcol || l.dashes.some((d) => d < mcol)) break;
    if (l.col === mcol) put(l);
  }
  return out;
}

/** Context at 1-based `column` of line `index` (0-based) of the document. */
export function yamlContext(lines: string[], index: number, column: number): YamlContext {
  const line = lines[index] ?? "";
  const before = line.slice(0, Math.max(0, column - 1));
  const info = analyseLine(line);
  const { path, inBlockScalar } = containerOf(lines, index, info);
  const siblings = siblingsOf(lines, index, info);
  if (inBlockScalar) return { kind: "none", container: path, key: null, siblings };
  const b = analyseLine(before);
  const listKey = path.endsWith("[]") ? (/([\w.-]+)\[\]$/.exec(path)?.[1] ?? null) : null;
  const rest = before.slice(b.col);
  if (b.key === null) {
    if (/^[A-Za-z0-9_][\w.-]*$/.test(rest) || rest === "") return { kind: "key", container: path, key: listKey, siblings };
    return info.dashes.length > 0 && listKey ? { kind: "item", container: path, key: listKey, siblings } : { kind: "none", container: path, key: null, siblings };
  }
  const value = b.value ?? "";
  if (value.startsWith("[") && !value.includes("]")) return { kind: "item", container: path, key: b.key, siblings };
  if (value.startsWith("{") || /^[|>]/.test(value)) return { kind: "none", container: path, key: null, siblings };
  return { kind: "value", container: path, key: b.key, siblings };
}

/** 1-based [start, end) columns of the token around `column` made of `chars` (default: id and key characters). */
export function tokenAround(line: string, column: number, chars = /[A-Za-z0-9_.:-]/): { text: string; start: number; end: number } {
  let s = column - 1;
  while (s > 0 && chars.test(line[s - 1] ?? "")) s--;
  let e = column - 1;
  while (e < line.length && chars.test(line[e] ?? "")) e++;
  return { text: line.slice(s, e), start: s + 1, end: e + 1 };
}

/** An ATT&CK id (TA0002, T1059, T1059.004) under 1-based `column`, with its columns. */
export function attackIdAt(line: string, column: number): { id: string; start: number; end: number } | null {
  const re = /\bT(?:A\d{4}|\d{4}(?:\.\d{3})?)\b/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const start = m.index + 1;
    const end = start + m[0].length;
    if (column >= start && column <= end) return { id: m[0], start, end };
  }
  return null;
}

/**
 * The columns a marker at (line, column) should underline: a quoted scalar to its closing quote,
 * else the token up to whitespace, a comma, a bracket or a comment (a key without its colon).
 */
export function markerSpan(line: string, column: number): { startColumn: number; endColumn: number } {
  const len = line.length;
  if (len === 0) return { startColumn: 1, endColumn: 1 };
  if (column > len) return { startColumn: len, endColumn: len + 1 };
  const s = Math.max(0, column - 1);
  const first = line[s];
  let e = s + 1;
  if (first === "'" || first === '"') {
    while (e < len) {
      if (line[e] === first) {
        if (first === "'" && line[e + 1] === "'") {
          e += 2;
          continue;
        }
        if (first === '"' && line[e - 1] === "\\") {
          e++;
          continue;
        }
        e++;
        break;
      }
      e++;
    }
  } else if (first === "[" || first === "{") {
    const close = first === "[" ? "]" : "}";
    let depth = 0;
    for (; e <= len; e++) {
      const c = line[e - 1];
      if (c === first) depth++;
      else if (c === close && --depth === 0) break;
    }
    e = Math.min(e, len);
  } else {
    while (e < len && !/[\s,\]}#]/.test(line[e] ?? "")) e++;
    if (e - s > 1 && line[e - 1] === ":") e--;
  }
  return { startColumn: s + 1, endColumn: e + 1 };
}
