import { CST, Lexer } from "yaml";

/**
 * Deepest nesting of collections a rule document may have. Rules nest 4–6 levels (tests: →
 * event → payload → a value); the `yaml` package's composer recurses per level and, on hostile
 * input (e.g. 100,000 `[`), exhausts the stack or the heap of the whole process. So the text is
 * measured first with the package's own lexer, which is linear and iterative.
 */
export const MAX_YAML_DEPTH = 64;
/**
 * Scalars and collections in one document, and alias references. A rule has a few hundred nodes;
 * tens of thousands of keys cost seconds in the composer (unique-key checks), aliases multiply.
 */
export const MAX_YAML_NODES = 10_000;
export const MAX_YAML_ALIASES = 100;

export interface YamlShapeProblem {
  /** Offset in the text (0-based UTF-16 units) where the limit was crossed. */
  offset: number;
  message: string;
}

/** Flow ([…], {…}) plus block (indentation, "- " items) nesting deeper than MAX_YAML_DEPTH, more than MAX_YAML_NODES values or MAX_YAML_ALIASES aliases, or null. */
export function yamlDepthProblem(text: string, maxDepth = MAX_YAML_DEPTH): YamlShapeProblem | null {
  return shapeProblem(text, maxDepth, null);
}

/**
 * yamlDepthProblem and the lexer's tokens in one pass: the tokens feed the `yaml` Parser
 * (parseRule), so a rule is lexed once, not once to measure and again to parse. Lexing stops at
 * the first limit crossed, like yamlDepthProblem.
 */
export function lexWithinLimits(text: string, maxDepth = MAX_YAML_DEPTH): { tokens: string[]; problem: null } | { tokens: null; problem: YamlShapeProblem } {
  const tokens: string[] = [];
  const problem = shapeProblem(text, maxDepth, tokens);
  return problem === null ? { tokens, problem } : { tokens: null, problem };
}

function shapeProblem(text: string, maxDepth: number, sink: string[] | null): YamlShapeProblem | null {
  let offset = 0;
  let nodes = 0;
  let aliases = 0;
  let flow = 0;
  let atLineStart = true;
  let lineIndent = 0;
  let seqItems = 0;
  const indents: number[] = [];
  let skipNext = false;
  const tooDeep = (at: number): YamlShapeProblem => ({
    offset: at,
    message: `the document nests deeper than ${maxDepth} levels: flatten it (rules need a handful)`,
  });
  for (const tok of new Lexer().lex(text)) {
    sink?.push(tok);
    const at = offset;
    // The lexer's control tokens (document start, scalar and flow-error markers) are not in the text.
    if (tok !== "\x02" && tok !== "\x18" && tok !== "\x1f") offset += tok.length;
    if (skipNext) {
      // The content of a scalar (plain, quoted or block): never structure, whatever it holds.
      skipNext = false;
      atLineStart = tok.endsWith("\n");
      continue;
    }
    const type = CST.tokenType(tok);
    if (type === "newline") {
      atLineStart = true;
      lineIndent = 0;
      seqItems = 0;
      continue;
    }
    if (type === "space") {
      if (atLineStart) lineIndent = tok.length;
      continue;
    }
    if (atLineStart && type !== "comment" && flow === 0) {
      while (indents.length > 0 && (indents[indents.length - 1] as number) >= lineIndent) indents.pop();
      indents.push(lineIndent);
      if (indents.length > maxDepth) return tooDeep(at);
    }
    atLineStart = false;
    if (type === "scalar" || type === "flow-seq-start" || type === "flow-map-start" || type === "seq-item-ind") {
      if (++nodes > MAX_YAML_NODES) return { offset: at, message: `the document has more than ${MAX_YAML_NODES} values: a rule needs a few hundred` };
    } else if (type === "alias") {
      if (++aliases > MAX_YAML_ALIASES) return { offset: at, message: `the document uses more than ${MAX_YAML_ALIASES} aliases (*name): write the values out` };
    }
    if (type === "scalar") {
      skipNext = true;
    } else if (type === "flow-seq-start" || type === "flow-map-start") {
      flow++;
      if (flow + indents.length > maxDepth) return tooDeep(at);
    } else if (type === "flow-seq-end" || type === "flow-map-end") {
      if (flow > 0) flow--;
    } else if (type === "seq-item-ind" && flow === 0) {
      seqItems++;
      if (indents.length + seqItems > maxDepth) return tooDeep(at);
    }
  }
  return null;
}
