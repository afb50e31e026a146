import { expect, type Locator, type Page } from "@playwright/test";

/** What the specs read of Monaco's markers (window.monaco is Monaco's own AMD global). */
export interface EditorMarker {
  owner: string;
  severity: number;
  message: string;
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

export const MARKER_ERROR = 8;
export const MARKER_WARNING = 4;

interface MonacoGlobal {
  editor: {
    getEditors(): {
      getModel(): { getValue(): string; getLineContent(n: number): string } | null;
      setSelection(r: { startLineNumber: number; startColumn: number; endLineNumber: number; endColumn: number }): void;
      setPosition(p: { lineNumber: number; column: number }): void;
      revealLineInCenter(n: number): void;
      focus(): void;
      getScrolledVisiblePosition(p: { lineNumber: number; column: number }): { left: number; top: number; height: number } | null;
      getDomNode(): HTMLElement | null;
    }[];
    getModelMarkers(filter: { owner?: string }): EditorMarker[];
  };
}

/** The rule page's editor (and /rules/new-rule): Monaco with Save, Delete and the conflict and delete dialogs. */
export class RuleEditorPage {
  readonly page: Page;
  readonly workbench: Locator;
  /** The editor region, labelled "Rule YAML". */
  readonly region: Locator;
  readonly textbox: Locator;
  readonly save: Locator;
  readonly delete: Locator;
  readonly newRule: Locator;
  readonly status: Locator;
  readonly alert: Locator;
  readonly problems: Locator;
  readonly unsaved: Locator;
  readonly remoteNotice: Locator;
  readonly conflict: ConflictDialog;
  readonly deleteDialog: DeleteDialog;

  constructor(page: Page) {
    this.page = page;
    this.workbench = page.getByRole("region", { name: /^(New rule editor|Rule editor)$/ });
    this.region = this.workbench.getByRole("region", { name: "Rule YAML" });
    this.textbox = this.region.getByRole("textbox", { name: "Rule YAML" });
    this.save = this.workbench.getByRole("button", { name: "Save", exact: true });
    this.delete = this.workbench.getByRole("button", { name: "Delete", exact: true });
    this.newRule = page.getByRole("link", { name: "New rule", exact: true });
    this.status = this.workbench.getByRole("status");
    this.alert = this.workbench.getByRole("alert");
    this.problems = this.workbench.getByRole("list", { name: "Problems" });
    this.unsaved = this.workbench.getByText("● Unsaved changes");
    this.remoteNotice = this.workbench.getByText(/^Someone else saved revision \d+ while you were editing/);
    this.conflict = new ConflictDialog(page);
    this.deleteDialog = new DeleteDialog(page);
  }

  async goto(ruleId: string): Promise<void> {
    await this.page.goto(`/rules/${encodeURIComponent(ruleId)}`);
    await this.ready();
  }

  async gotoNew(): Promise<void> {
    await this.page.goto("/rules/new-rule");
    await this.ready();
  }

  /** Monaco has rendered the rule and the first validation has answered. */
  async ready(): Promise<void> {
    await expect(this.region.locator(".monaco-editor .view-lines")).toBeVisible({ timeout: 15_000 });
    await this.page.waitForFunction(() => {
      const m = (window as unknown as { monaco?: MonacoGlobal }).monaco;
      return (m?.editor.getEditors()[0]?.getModel()?.getValue() ?? "") !== "";
    });
    await expect(this.workbench.getByRole("heading", { name: /^Problems/ })).not.toContainText("checking");
  }

  value(): Promise<string> {
    return this.page.evaluate(() => (window as unknown as { monaco: MonacoGlobal }).monaco.editor.getEditors()[0]?.getModel()?.getValue() ?? "");
  }

  /** Markers the rule validation put on the model. */
  markers(): Promise<EditorMarker[]> {
    return this.page.evaluate(() => (window as unknown as { monaco: MonacoGlobal }).monaco.editor.getModelMarkers({ owner: "ttp-rule" }));
  }

  /** 1-based number of the first line containing `text`. */
  async lineOf(text: string): Promise<number> {
    const i = (await this.value()).split("\n").findIndex((l) => l.includes(text));
    if (i < 0) throw new Error(`no line contains ${JSON.stringify(text)}`);
    return i + 1;
  }

  /**
   * Selects the first `from` on the first line containing it and types `to` over it with the
   * keyboard (the cursor is placed through Monaco's API; the text arrives as key presses).
   */
  async replace(from: string, to: string): Promise<number> {
    const line = await this.lineOf(from);
    await this.page.evaluate(
      ({ line, from }) => {
        const ed = (window as unknown as { monaco: MonacoGlobal }).monaco.editor.getEditors()[0];
        if (!ed) throw new Error("no editor");
        const start = (ed.getModel()?.getLineContent(line) ?? "").indexOf(from) + 1;
        ed.revealLineInCenter(line);
        ed.setSelection({ startLineNumber: line, startColumn: start, endLineNumber: line, endColumn: start + from.length });
        ed.focus();
      },
      { line, from },
    );
    await this.page.keyboard.type(to);
    // Close a completion list the typing may have opened, so a following Enter does not accept it.
    await this.page.keyboard.press("Escape");
    return line;
  }

  /** Puts the cursor at the end of the first line containing `text` and focuses the editor. */
  async cursorAtEndOf(text: string): Promise<number> {
    const line = await this.lineOf(text);
    await this.page.evaluate(
      ({ line }) => {
        const ed = (window as unknown as { monaco: MonacoGlobal }).monaco.editor.getEditors()[0];
        if (!ed) throw new Error("no editor");
        ed.revealLineInCenter(line);
        ed.setPosition({ lineNumber: line, column: (ed.getModel()?.getLineContent(line).length ?? 0) + 1 });
        ed.focus();
      },
      { line },
    );
    return line;
  }

  /** Moves the mouse over the middle of the first occurrence of `text` in the editor. */
  async hoverText(text: string): Promise<void> {
    const line = await this.lineOf(text);
    const at = await this.page.evaluate(
      ({ line, text }) => {
        const ed = (window as unknown as { monaco: MonacoGlobal }).monaco.editor.getEditors()[0];
        if (!ed) throw new Error("no editor");
        // The editor may start below the fold (the rule page's cards above it): scroll it into view, as a user would.
        ed.getDomNode()?.scrollIntoView({ block: "center" });
        ed.revealLineInCenter(line);
        const column = (ed.getModel()?.getLineContent(line) ?? "").indexOf(text) + 1 + Math.floor(text.length / 2);
        const p = ed.getScrolledVisiblePosition({ lineNumber: line, column });
        const box = ed.getDomNode()?.getBoundingClientRect();
        if (!p || !box) throw new Error("position not visible");
        return { x: box.left + p.left + 2, y: box.top + p.top + p.height / 2 };
      },
      { line, text },
    );
    await this.page.mouse.move(at.x, at.y);
  }

  async pressSaveShortcut(): Promise<void> {
    await this.page.keyboard.press("ControlOrMeta+s");
  }
}

export class ConflictDialog {
  readonly root: Locator;
  readonly diff: Locator;
  readonly reload: Locator;
  readonly overwrite: Locator;
  readonly keepEditing: Locator;

  constructor(page: Page) {
    this.root = page.getByRole("dialog", { name: /conflict/i });
    this.diff = this.root.getByRole("figure", { name: /^Differences/ });
    this.reload = this.root.getByRole("button", { name: "Reload their version" });
    this.overwrite = this.root.getByRole("button", { name: "Overwrite with mine" });
    this.keepEditing = this.root.getByRole("button", { name: "Keep editing" });
  }
}

export class DeleteDialog {
  readonly root: Locator;
  readonly reason: Locator;
  readonly confirm: Locator;
  readonly cancel: Locator;
  readonly alert: Locator;

  constructor(page: Page) {
    this.root = page.getByRole("dialog", { name: /^Delete rule / });
    this.reason = this.root.getByLabel("Reason");
    this.confirm = this.root.getByRole("button", { name: "Delete rule" });
    this.cancel = this.root.getByRole("button", { name: "Cancel" });
    this.alert = this.root.getByRole("alert");
  }
}
