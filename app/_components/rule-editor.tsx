"use client";
import Editor, { loader, type BeforeMount, type OnMount } from "@monaco-editor/react";
import { useQuery } from "@tanstack/react-query";
import type { editor as MonacoEditor, IRange, languages } from "monaco-editor";
import { useMonacoTheme } from "./use-theme";
import { useEffect, useId, useRef, useState } from "react";
import { formatPath, type ValidationIssue } from "../../lib/errors";
import type { AttackCatalogPayload, EditorField, EditorSchema } from "../_lib/rule-editor-types";
import { analyseLine, attackIdAt, markerSpan, tokenAround, yamlContext } from "../_lib/yaml-context";
import { queryKeys } from "./data/query-keys";

// Monaco's AMD build comes from this app (app/monaco/vs/…), never from a CDN.
loader.config({ paths: { vs: "/monaco/vs" } });

/** Starts loading Monaco as soon as this module runs (the page preloads its files); resolves to an error message or null. */
const monacoLoad: Promise<string | null> | null =
  typeof window === "undefined"
    ? null
    : loader.init().then(
        () => null,
        (err: unknown) => {
          console.error("rule editor: Monaco failed to load from /monaco/vs", err);
          return err instanceof Error ? err.message : "the editor's scripts could not be loaded";
        },
      );

const MARKER_OWNER = "ttp-rule";

// @monaco-editor/react's own `Monaco` type points at a path monaco-editor 0.57 no longer exports.
type Monaco = typeof import("monaco-editor");

interface AttackIndex {
  version: string;
  tactics: Map<string, string>;
  techniques: Map<string, { name: string; tactics: string[] }>;
}

// Providers are registered once per page for the "yaml" language and read the current data here.
const shared: { schema: EditorSchema | null; attack: AttackIndex | null } = { schema: null, attack: null };
let providersFor: Monaco | null = null;

/** The ATT&CK catalog for completion and hover (the query keeps it for the tab's life; a failed load is tried again by the next editor). */
async function fetchAttackCatalog({ signal }: { signal: AbortSignal }): Promise<AttackIndex> {
  try {
    const res = await fetch("/api/attack-catalog", { credentials: "same-origin", signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const p = (await res.json()) as AttackCatalogPayload;
    return {
      version: p.version,
      tactics: new Map(p.tactics),
      techniques: new Map(p.techniques.map(([id, name, tactics]) => [id, { name, tactics: tactics ? tactics.split(",") : [] }])),
    };
  } catch (err) {
    if (!signal.aborted) console.error("rule editor: loading the ATT&CK catalog for completion failed", err);
    throw err;
  }
}

function attackUrl(id: string): string {
  return id.startsWith("TA") ? `https://attack.mitre.org/tactics/${id}` : `https://attack.mitre.org/techniques/${id.replace(".", "/")}`;
}

function attackName(id: string): string | null {
  const a = shared.attack;
  if (!a) return null;
  if (id.startsWith("TA")) return a.tactics.get(id) ?? null;
  const t = a.techniques.get(id);
  if (!t) return null;
  const dot = id.indexOf(".");
  const parent = dot > 0 ? a.techniques.get(id.slice(0, dot)) : undefined;
  return parent ? `${parent.name}: ${t.name}` : t.name;
}

/** The analyzer named by a match mapping's `kind:` sibling, if the engine has one. */
function analyzerOf(context: string, siblings: Record<string, string>) {
  if (context !== "match" || !siblings.kind) return undefined;
  const kind = siblings.kind.replace(/^["']|["']$/g, "");
  return shared.schema?.analyzers.find((a) => a.kind === kind);
}

function fieldAt(context: string, key: string, siblings: Record<string, string> = {}): EditorField | undefined {
  const analyzer = analyzerOf(context, siblings);
  return analyzer?.params.find((f) => f.key === key) ?? shared.schema?.fields.find((f) => f.context === context && f.key === key);
}

function analyzerDoc(a: { kind: string; family: string; summary: string; reads: string[]; params: EditorField[] }): string {
  const params = a.params.map((p) => `- \`${p.key}\` (${p.type}) ${p.description}`).join("\n");
  return `**${a.kind}** (${a.family})\n\n${a.summary}\n\nReads: ${a.reads.map((r) => `\`${r}\``).join(", ") || "—"}${params ? `\n\nParameters:\n${params}` : ""}`;
}

const SNIPPETS: Record<string, string> = {
  match: "match:\n  pattern: '${1:(?i)\\\\bexample\\\\b}'",
  emits: "emits:\n  - technique_id: ${1:T1059}\n    tactic: ${2:TA0002}\n    confidence: ${3:0.5}",
  tests: "tests:\n  - event:\n      payload:\n        ${1:command_text}: '${2:example}'\n    expect: [${3:T1059}]",
  event: "event:\n  payload:\n    ${1:command_text}: '${2:example}'",
  applies_to: "applies_to: [${1:command}]",
};

function registerProviders(monaco: Monaco): void {
  if (providersFor === monaco) return;
  providersFor = monaco;
  const { CompletionItemKind, CompletionItemInsertTextRule } = monaco.languages;

  function idItems(ids: Iterable<string>, range: IRange, preferred: ReadonlySet<string> = new Set()): languages.CompletionItem[] {
    const out: languages.CompletionItem[] = [];
    for (const id of ids) {
      const name = attackName(id) ?? "";
      out.push({
        label: { label: id, description: name },
        kind: CompletionItemKind.EnumMember,
        insertText: id,
        filterText: `${id} ${name}`,
        sortText: `${preferred.has(id) ? "0" : "1"}${id}`,
        documentation: { value: `**${id}** ${name}\n\n[${attackUrl(id)}](${attackUrl(id)})` },
        range,
      });
    }
    return out;
  }

  monaco.languages.registerCompletionItemProvider("yaml", {
    triggerCharacters: [" ", "[", ","],
    provideCompletionItems(model, position) {
      const schema = shared.schema;
      if (!schema) return { suggestions: [] };
      const line = model.getLineContent(position.lineNumber);
      const ctx = yamlContext(model.getLinesContent(), position.lineNumber - 1, position.column);
      const tok = tokenAround(line.slice(0, position.column - 1), position.column);
      const range: IRange = { startLineNumber: position.lineNumber, endLineNumber: position.lineNumber, startColumn: tok.start, endColumn: position.column };
      const attack = shared.attack;
      const analyzer = ctx.kind === "key" ? analyzerOf(ctx.container, ctx.siblings) : undefined;
      const keyFields = ctx.kind === "key" ? (analyzer ? analyzer.params : schema.fields.filter((f) => f.context === ctx.container)) : [];

      if (keyFields.length > 0) {
        return {
          suggestions: keyFields
            .filter((f) => !(f.key in ctx.siblings))
            .map((f) => ({
              label: { label: f.key, description: f.required ? `${f.type} · required` : f.type },
              kind: CompletionItemKind.Property,
              insertText: SNIPPETS[f.key] ?? `${f.key}: `,
              insertTextRules: SNIPPETS[f.key] ? CompletionItemInsertTextRule.InsertAsSnippet : undefined,
              sortText: `${f.required ? "0" : "1"}${f.key}`,
              documentation: { value: `**${f.key}** — ${f.type}${f.required ? " (required)" : ""}\n\n${f.description}` },
              range,
            })),
        };
      }

      const key = ctx.kind === "none" ? null : ctx.key;
      const sourceKindItems = (): languages.CompletionItem[] =>
        schema.sourceKinds.map((k) => ({ label: k, kind: CompletionItemKind.EnumMember, insertText: k, range, documentation: "A known source kind (SPEC §1.1)." }));
      if (key === "applies_to" || key === "source_kind") return { suggestions: sourceKindItems() };
      if (key === "kind" && ctx.container === "match") {
        return {
          suggestions: schema.analyzers.map((a) => ({
            label: { label: a.kind, description: a.family },
            kind: CompletionItemKind.EnumMember,
            insertText: a.kind,
            filterText: `${a.kind} ${a.summary}`,
            documentation: { value: analyzerDoc(a) },
            range,
          })),
        };
      }
      if (!attack) return { suggestions: [] };
      const techniques = [...attack.techniques.keys()];
      if (key === "tactic") {
        const tech = ctx.siblings.technique_id ? attack.techniques.get(ctx.siblings.technique_id) : undefined;
        return { suggestions: idItems(attack.tactics.keys(), range, new Set(tech?.tactics ?? [])) };
      }
      if (key === "technique_id") return { suggestions: idItems(techniques.filter((id) => !id.includes(".")), range) };
      if (key === "sub_technique_id") {
        const parent = ctx.siblings.technique_id;
        const subs = techniques.filter((id) => id.includes(".") && (!parent || id.startsWith(`${parent}.`)));
        return { suggestions: idItems(subs.length > 0 ? subs : techniques.filter((id) => id.includes(".")), range) };
      }
      if (key === "expect") return { suggestions: idItems(techniques, range) };
      if (/^TA/.test(tok.text)) return { suggestions: idItems(attack.tactics.keys(), range) };
      if (/^T\d/.test(tok.text)) return { suggestions: idItems(techniques, range) };
      return { suggestions: [] };
    },
  });

  monaco.languages.registerHoverProvider("yaml", {
    provideHover(model, position) {
      const ln = position.lineNumber;
      const line = model.getLineContent(ln);
      const hit = attackIdAt(line, position.column);
      if (hit) {
        const name = attackName(hit.id);
        const url = attackUrl(hit.id);
        const text = name
          ? `**${hit.id}** ${name}`
          : shared.attack
            ? `**${hit.id}** is not in the bundled ATT&CK catalog (v${shared.attack.version})`
            : `**${hit.id}**`;
        return { range: { startLineNumber: ln, endLineNumber: ln, startColumn: hit.start, endColumn: hit.end }, contents: [{ value: text }, { value: `[${url}](${url})` }] };
      }
      const info = analyseLine(line);
      if (info.key === "kind" && position.column >= info.col + 1) {
        // `kind: lifter:…` under match: the analyzer's summary, fields read and parameters (key or value hovered).
        const a = yamlContext(model.getLinesContent(), ln - 1, info.col + 1).container === "match" ? analyzerOf("match", { kind: info.value ?? "" }) : undefined;
        if (a) return { range: { startLineNumber: ln, endLineNumber: ln, startColumn: info.col + 1, endColumn: line.length + 1 }, contents: [{ value: analyzerDoc(a) }] };
      }
      if (info.key === null || position.column < info.col + 1 || position.column > info.col + 1 + info.key.length) return null;
      const ctx = yamlContext(model.getLinesContent(), ln - 1, info.col + 1);
      const f = fieldAt(ctx.container, info.key, ctx.siblings);
      if (!f) return null;
      return {
        range: { startLineNumber: ln, endLineNumber: ln, startColumn: info.col + 1, endColumn: info.col + 1 + info.key.length },
        contents: [{ value: `**${f.key}** — ${f.type}${f.required ? " (required)" : ""}` }, ...(f.description ? [{ value: f.description }] : [])],
      };
    },
  });
}

function toMarkers(monaco: Monaco, model: MonacoEditor.ITextModel, issues: readonly ValidationIssue[]): MonacoEditor.IMarkerData[] {
  const lineCount = model.getLineCount();
  return issues.map((i) => {
    const ln = Math.min(Math.max(1, i.line), lineCount);
    const span = markerSpan(model.getLineContent(ln), Math.max(1, i.column));
    return {
      severity: i.severity === "error" ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
      message: i.path.length > 0 ? `${i.message} (at ${formatPath(i.path)})` : i.message,
      source: "ttp validate",
      startLineNumber: ln,
      endLineNumber: ln,
      startColumn: span.startColumn,
      endColumn: span.endColumn,
    };
  });
}

export interface RuleEditorHandle {
  /** Moves the cursor to a 1-based line:column and focuses the editor. */
  reveal(line: number, column: number): void;
  /** The editor's text right now (null before it mounted): a key handler can run before React has re-rendered with the last keystroke. */
  value(): string | null;
}

export function RuleEditor(props: {
  /** Model URI path, one per rule (e.g. "R1042.yaml"). */
  path: string;
  /** The draft. The editor is uncontrolled while typing (feeding each keystroke back races fast typing); */
  value: string;
  /** …so a text set from outside (server update, "Reload their version") is applied when this number changes. */
  externalVersion: number;
  onChange: (value: string) => void;
  readOnly: boolean;
  issues: readonly ValidationIssue[];
  schema: EditorSchema;
  onSave?: () => void;
  /** Called once the editor (or its plain-text fallback) is usable. */
  onReady?: () => void;
  handleRef?: { current: RuleEditorHandle | null };
}) {
  const editorRef = useRef<MonacoEditor.IStandaloneCodeEditor | null>(null);
  const monacoRef = useRef<Monaco | null>(null);
  const onSave = useRef(props.onSave);
  onSave.current = props.onSave;
  const onReady = useRef(props.onReady);
  onReady.current = props.onReady;
  const [mounted, setMounted] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const fallbackId = useId();
  const monacoTheme = useMonacoTheme();
  const attack = useQuery({ queryKey: queryKeys.attackCatalog(), queryFn: fetchAttackCatalog, gcTime: Infinity });
  shared.schema = props.schema;
  shared.attack = attack.data ?? null;

  useEffect(() => {
    let live = true;
    void monacoLoad?.then((message) => {
      if (!live || message === null) return;
      setLoadError(message);
      onReady.current?.();
    });
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    const monaco = monacoRef.current;
    const model = editorRef.current?.getModel();
    if (!mounted || !monaco || !model) return;
    monaco.editor.setModelMarkers(model, MARKER_OWNER, toMarkers(monaco, model, props.issues));
  }, [props.issues, mounted]);

  const valueRef = useRef(props.value);
  valueRef.current = props.value;
  const appliedVersion = useRef(props.externalVersion);
  const latestVersion = useRef(props.externalVersion);
  latestVersion.current = props.externalVersion;
  const applyExternal = (ed: MonacoEditor.IStandaloneCodeEditor): void => {
    const model = ed.getModel();
    if (!model || model.getValue() === valueRef.current) return;
    ed.executeEdits("external", [{ range: model.getFullModelRange(), text: valueRef.current, forceMoveMarkers: true }]);
    ed.pushUndoStop();
  };
  useEffect(() => {
    // Only a new external version replaces the text: anything else would race the operator's typing.
    const ed = editorRef.current;
    if (!ed || appliedVersion.current === props.externalVersion) return;
    appliedVersion.current = props.externalVersion;
    applyExternal(ed);
  }, [props.externalVersion]);

  useEffect(() => {
    if (!props.handleRef) return;
    props.handleRef.current = {
      reveal(line, column) {
        const ed = editorRef.current;
        if (!ed) return;
        ed.setPosition({ lineNumber: line, column });
        ed.revealLineInCenterIfOutsideViewport(line);
        ed.focus();
      },
      value() {
        return editorRef.current?.getModel()?.getValue() ?? null;
      },
    };
  }, [props.handleRef]);

  const beforeMount: BeforeMount = (monaco) => registerProviders(monaco);
  const onMount: OnMount = (ed, monaco) => {
    editorRef.current = ed;
    monacoRef.current = monaco;
    if (appliedVersion.current !== latestVersion.current) {
      // The text was replaced from outside while Monaco was still loading.
      appliedVersion.current = latestVersion.current;
      applyExternal(ed);
    }
    // Ctrl/Cmd+S saves (read-only editors swallow it rather than open the browser's "Save page").
    ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => onSave.current?.());
    setMounted(true);
    onReady.current?.();
  };

  if (loadError) {
    return (
      <div className="rw-editor" role="region" aria-label="Rule YAML">
        <p role="alert" className="form-error">
          The code editor could not load ({loadError}); editing in a plain text box. Problems are listed below.
        </p>
        <label htmlFor={fallbackId} className="sr-only">
          Rule YAML
        </label>
        <textarea
          id={fallbackId}
          className="rw-fallback"
          spellCheck={false}
          readOnly={props.readOnly}
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
          onKeyDown={(e) => {
            if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
              e.preventDefault();
              onSave.current?.();
            }
          }}
        />
      </div>
    );
  }

  return (
    <div className="rw-editor" role="region" aria-label="Rule YAML">
      <Editor
        height="60vh"
        path={props.path}
        language="yaml"
        theme={monacoTheme}
        defaultValue={props.value}
        onChange={(v) => props.onChange(v ?? "")}
        beforeMount={beforeMount}
        onMount={onMount}
        loading={<span className="muted">Loading editor…</span>}
        options={{
          ariaLabel: "Rule YAML",
          readOnly: props.readOnly,
          domReadOnly: props.readOnly,
          minimap: { enabled: false },
          fontSize: 13,
          tabSize: 2,
          insertSpaces: true,
          detectIndentation: false,
          scrollBeyondLastLine: false,
          automaticLayout: true,
          fixedOverflowWidgets: true,
          wordBasedSuggestions: "off",
          quickSuggestions: { other: true, comments: false, strings: true },
          renderValidationDecorations: "on",
          hover: { delay: 250 },
        }}
      />
    </div>
  );
}
