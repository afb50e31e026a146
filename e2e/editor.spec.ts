import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Request } from "@playwright/test";
import { expect, test } from "./fixtures";
import { MARKER_ERROR, RuleEditorPage } from "./pages/rule-editor-page";
import type { Cli } from "./support/cli";

// Rule ids owned here: R1040–R1049, and R1045_new, new, transfer (created).
// Several checks go through the real CLI (a process start each): generous per-test time.
test.describe.configure({ timeout: 90_000 });

interface ListedRule {
  rule_id: string;
  revision: number;
  origin: string;
  updated_by: string | null;
}

async function listed(cli: Cli): Promise<Map<string, ListedRule>> {
  const rows = JSON.parse((await cli.run(["rules", "list", "--json"])).stdout) as ListedRule[];
  return new Map(rows.map((r) => [r.rule_id, r]));
}

async function stored(cli: Cli, ruleId: string): Promise<ListedRule | undefined> {
  return (await listed(cli)).get(ruleId);
}

/** The stored YAML text of a rule, byte for byte (`ttp rules export`). */
async function storedText(cli: Cli, ruleId: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ttp-e2e-export-"));
  try {
    await cli.run(["rules", "export", dir]);
    return readFileSync(path.join(dir, `${ruleId}.yaml`), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Another process writes a new version of the rule (`ttp rules import`). */
async function importText(cli: Cli, ruleId: string, text: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ttp-e2e-import-"));
  try {
    writeFileSync(path.join(dir, `${ruleId}.yaml`), text);
    await cli.run(["rules", "import", dir, "--by", "cli-editor-spec"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("an invalid confidence is marked at its line and refused; fixed, Ctrl+S saves the text verbatim", async ({ page, cli }) => {
  const id = "R1040";
  const before = await stored(cli, id);
  expect(before).toBeDefined();
  const editor = new RuleEditorPage(page);
  await editor.goto(id);

  const line = await editor.replace("confidence: 0.9", "confidence: 7");
  await expect(editor.textbox).toBeFocused();
  await expect.poll(() => editor.markers()).toContainEqual(
    expect.objectContaining({ severity: MARKER_ERROR, startLineNumber: line, startColumn: 17, endColumn: 18, message: expect.stringMatching(/confidence must be ≤ 1/) }),
  );
  await expect(editor.region.locator(".squiggly-error").first()).toBeAttached();
  await expect(editor.problems).toContainText(`Error at line ${line}:17`);
  await expect(editor.unsaved).toBeVisible();

  await editor.save.click();
  await expect(editor.alert).toHaveText("Not saved: the rule has 1 problem (marked in the editor).");
  expect((await stored(cli, id))?.revision).toBe(before?.revision);

  await editor.replace("confidence: 7", "confidence: 0.8");
  await expect.poll(async () => (await editor.markers()).filter((m) => m.severity === MARKER_ERROR)).toEqual([]);
  await editor.pressSaveShortcut();
  const rev = (before?.revision ?? 0) + 1;
  await expect(editor.status).toHaveText(`Saved revision ${rev}`);
  await expect(editor.unsaved).toBeHidden();

  expect(await stored(cli, id)).toMatchObject({ revision: rev, origin: "dashboard", updated_by: "admin" });
  const text = await editor.value();
  expect(text).toContain("confidence: 0.8");
  expect(text).toMatch(/^# R1040 cryptominer_execution/); // comments kept: no re-serialisation
  expect(await storedText(cli, id)).toBe(text);

  await page.reload();
  await editor.ready();
  expect(await editor.value()).toBe(text);
});

test("two admins edit the same rule: the second save gets the conflict dialog with a diff", async ({ page, pageAs, cli }) => {
  test.setTimeout(120_000);
  const id = "R1041";
  const rev0 = (await stored(cli, id))?.revision ?? 0;
  const alice = new RuleEditorPage(page);
  const bob = new RuleEditorPage(await pageAs("admin"));
  await alice.goto(id);
  await bob.goto(id);
  const name = (await bob.value()).match(/^name: (\S+)$/m)?.[1];
  const confidence = (await alice.value()).match(/^ {4}confidence: (\S+)$/m)?.[1];
  expect(name && confidence).toBeTruthy();

  // Bob starts first, Alice saves first.
  await bob.replace(`name: ${name}`, `name: ${name}_bob`);
  await expect(bob.unsaved).toBeVisible();
  await alice.replace(`confidence: ${confidence}`, "confidence: 0.71");
  await alice.pressSaveShortcut();
  await expect(alice.status).toHaveText(`Saved revision ${rev0 + 1}`);
  const aliceText = await alice.value();

  // Bob's dirty editor keeps his draft when the live update arrives.
  await expect(bob.remoteNotice).toBeVisible({ timeout: 15_000 });
  expect(await bob.value()).toContain(`name: ${name}_bob`);
  expect(await bob.value()).toContain(`confidence: ${confidence}`);

  await bob.save.click();
  await expect(bob.conflict.root).toBeVisible();
  await expect(bob.conflict.root).toContainText(`${id} was saved by admin (revision ${rev0 + 1}) while you edited revision ${rev0}.`);
  await expect(bob.conflict.diff).toContainText(`-     confidence: 0.71`);
  await expect(bob.conflict.diff).toContainText(`+     confidence: ${confidence}`);
  await expect(bob.conflict.diff).toContainText(`- name: ${name}`);
  await expect(bob.conflict.diff).toContainText(`+ name: ${name}_bob`);
  expect((await stored(cli, id))?.revision).toBe(rev0 + 1);

  await bob.conflict.reload.click();
  await expect(bob.conflict.root).toBeHidden();
  await expect.poll(() => bob.value()).toBe(aliceText);
  await expect(bob.status).toHaveText(`Loaded revision ${rev0 + 1} by admin`);
  await expect(bob.unsaved).toBeHidden();

  // Again, and this time Bob overwrites.
  await bob.replace(`name: ${name}`, `name: ${name}_bob2`);
  await alice.replace("confidence: 0.71", "confidence: 0.72");
  await alice.pressSaveShortcut();
  await expect(alice.status).toHaveText(`Saved revision ${rev0 + 2}`);
  await bob.pressSaveShortcut();
  await expect(bob.conflict.root).toBeVisible();
  await expect(bob.conflict.diff).toContainText("-     confidence: 0.72");
  await bob.conflict.overwrite.click();
  await expect(bob.conflict.root).toBeHidden();
  await expect(bob.status).toHaveText(`Saved revision ${rev0 + 3}`);
  const bobText = await bob.value();
  expect(bobText).toContain(`name: ${name}_bob2`);
  expect(bobText).toContain("confidence: 0.71");
  expect(await stored(cli, id)).toMatchObject({ revision: rev0 + 3, updated_by: "admin" });
  expect(await storedText(cli, id)).toBe(bobText);
  // Alice's clean editor follows the live update to Bob's version.
  await expect.poll(() => alice.value(), { timeout: 15_000 }).toBe(bobText);
  await expect(alice.status).toHaveText(`Revision ${rev0 + 3} loaded (saved by admin)`);
});

test("on a rule's page a different rule_id is marked and refused; New rule is the way to create", async ({ page, cli }) => {
  const id = "R1042";
  const rev = (await stored(cli, id))?.revision;
  const editor = new RuleEditorPage(page);
  await editor.goto(id);
  const line = await editor.replace("rule_id: R1042", "rule_id: R1042b");
  await expect.poll(() => editor.markers()).toContainEqual(
    expect.objectContaining({ severity: MARKER_ERROR, startLineNumber: line, startColumn: 10, message: expect.stringMatching(/this page edits R1042/) }),
  );
  await editor.save.click();
  await expect(editor.alert).toHaveText("Not saved: this page edits R1042, but the draft's rule_id is R1042b. Use New rule to create another rule.");
  const all = await listed(cli);
  expect(all.has("R1042b")).toBe(false);
  expect(all.get(id)?.revision).toBe(rev);
  await expect(editor.newRule).toHaveAttribute("href", "/rules/new-rule");
});

test("a change by another process shows in a clean editor; a dirty editor keeps its draft", async ({ page, cli }) => {
  const id = "R1043";
  const editor = new RuleEditorPage(page);
  await editor.goto(id);
  await expect(page.getByText("● live", { exact: true })).toBeVisible();
  const original = await editor.value();
  const v2 = original.replace(/^description:/m, "# edited by another process\ndescription:");
  await importText(cli, id, v2);
  await expect.poll(() => editor.value(), { timeout: 15_000 }).toBe(v2);
  await expect(editor.status).toHaveText(/^Revision \d+ loaded \(saved by cli-editor-spec\)$/);
  await expect(editor.unsaved).toBeHidden();

  await editor.cursorAtEndOf("# edited by another process");
  await page.keyboard.type(" — and by me");
  const mine = await editor.value();
  await importText(cli, id, v2.replace("# edited by another process", "# edited twice"));
  await expect(editor.remoteNotice).toBeVisible({ timeout: 15_000 });
  expect(await editor.value()).toBe(mine);
});

test("leaving with unsaved changes asks first", async ({ page }) => {
  const id = "R1044";
  const editor = new RuleEditorPage(page);
  await editor.goto(id);
  await editor.cursorAtEndOf("rule_version: 1");
  await page.keyboard.type(" # draft");
  await expect(editor.unsaved).toBeVisible();

  const asked: string[] = [];
  page.once("dialog", (d) => {
    asked.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Rules" }).click();
  await expect.poll(() => asked).toEqual([`confirm: You have unsaved changes to ${id}. Leave this page and discard them?`]);
  await expect(page).toHaveURL(new RegExp(`/rules/${id}$`));
  expect(await editor.value()).toContain("rule_version: 1 # draft");

  page.once("dialog", (d) => {
    asked.push(d.type());
    void d.dismiss();
  });
  await page.close({ runBeforeUnload: true });
  await expect.poll(() => asked.length).toBe(2);
  expect(asked[1]).toBe("beforeunload");
  expect(page.isClosed()).toBe(false);

  page.once("dialog", (d) => void d.accept());
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Rules" }).click();
  await expect(page).toHaveURL(/\/rules$/);
});

test("New rule starts from a valid template with a free id and creates the rule; an existing id is refused", async ({ page, cli }) => {
  const editor = new RuleEditorPage(page);
  await editor.goto("R1046");
  await editor.newRule.click();
  await expect(page).toHaveURL(/\/rules\/new-rule$/);
  await editor.ready();
  const template = await editor.value();
  const suggested = /^rule_id: (R\d{4})$/m.exec(template)?.[1];
  expect(suggested).toBeTruthy();
  const before = await listed(cli);
  expect(before.has(suggested ?? "")).toBe(false);
  await expect(editor.workbench.getByRole("heading", { name: /^Problems/ })).toHaveText("Problems (No problems)");

  await editor.replace(`rule_id: ${suggested}`, "rule_id: R1046");
  await editor.save.click();
  await expect(editor.alert).toHaveText(/^Rule R1046 already exists \(revision \d+\)/);
  expect((await stored(cli, "R1046"))?.revision).toBe(before.get("R1046")?.revision);

  await editor.replace("rule_id: R1046", "rule_id: R1045_new");
  await editor.replace("name: new_rule", "name: editor_spec_rule");
  await editor.save.click();
  await expect(page).toHaveURL(/\/rules\/R1045_new$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("R1045_new · editor_spec_rule");
  await editor.ready();
  expect(await stored(cli, "R1045_new")).toMatchObject({ revision: 1, origin: "dashboard", updated_by: "admin" });
  expect(await storedText(cli, "R1045_new")).toBe(await editor.value());
});

test("rules named `new` and `transfer` open at /rules/new and /rules/transfer (the console's own pages have a '-' in their names)", async ({ page, cli }) => {
  const template = await storedText(cli, "R1049");
  try {
    for (const id of ["new", "transfer"]) {
      await importText(cli, id, template.replace(/^rule_id: R1049$/m, `rule_id: ${id}`).replace(/^name: .*$/m, `name: shadow_check_${id}`));
      await page.goto(`/rules/${id}`);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(`${id} · shadow_check_${id}`);
    }
    await page.goto("/rules/new-rule");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(/new rule/i);
  } finally {
    for (const id of ["new", "transfer"]) await cli.run(["rules", "delete", id, "--by", "cli-editor-spec"]).catch(() => undefined);
  }
});

test("Delete asks for confirmation naming the rule, records the reason, and returns to the list", async ({ page, cli }) => {
  const id = "R1047";
  const editor = new RuleEditorPage(page);
  await editor.goto(id);
  await editor.delete.click();
  await expect(editor.deleteDialog.root).toBeVisible();
  await expect(editor.deleteDialog.root.getByRole("heading")).toHaveText(/^Delete rule R1047 \(.+\)\?$/);
  await editor.deleteDialog.cancel.click();
  await expect(editor.deleteDialog.root).toBeHidden();
  expect(await stored(cli, id)).toBeDefined();

  await editor.delete.click();
  await editor.deleteDialog.reason.fill("superseded by R1045_new");
  await editor.deleteDialog.confirm.click();
  await expect(page).toHaveURL(/\/rules$/);
  expect(await stored(cli, id)).toBeUndefined();

  await page.goto(`/activity?rule=${id}`);
  const row = page.getByRole("row").filter({ hasText: "superseded by R1045_new" });
  await expect(row).toContainText("deleted");
  await expect(row).toContainText("admin");
});

test("analyzer rules: hover explains the lifter kind, completion offers its parameters and the other kinds", async ({ page }) => {
  const editor = new RuleEditorPage(page);
  await editor.goto("R1070");
  const hover = editor.region.locator(".monaco-hover:not(.hidden)");
  await expect(async () => {
    await page.mouse.move(1, 1);
    await editor.hoverText('kind: "lifter:credential_auth_brute_generic"');
    await expect(hover).toContainText("lifter:credential_auth_brute_generic", { timeout: 2_000 });
  }).toPass({ timeout: 10_000 });
  await expect(hover).toContainText("fail_threshold");

  // A parameter key under match: the kind's own parameters, described.
  await editor.replace("  fail_threshold: 10", "  fail_");
  await page.keyboard.press("Control+Space");
  const suggest = editor.region.locator(".suggest-widget");
  await expect(suggest).toContainText("fail_threshold");
  await page.keyboard.press("Escape");

  // The kind's value: every analyzer kind the engine evaluates.
  await editor.replace('  kind: "lifter:credential_auth_brute_generic"', "  kind: lifter:cred");
  await page.keyboard.press("Control+Space");
  await expect(suggest).toContainText("lifter:credential_password_guessing");
  await page.keyboard.press("Escape");
});

test("Monaco loads from the app with every other host blocked; completion and hover work offline", async ({ browser, sessions, run, playwright }) => {
  const context = await browser.newContext({ baseURL: run.baseURL, storageState: await sessions.get("admin") });
  const app = new URL(run.baseURL);
  const foreign: string[] = [];
  const seen: string[] = [];
  const record = (r: Request): void => {
    seen.push(r.url());
  };
  context.on("request", record);
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "blob:" || url.protocol === "data:" || url.host === app.host) return route.continue();
    foreign.push(url.href);
    return route.abort("blockedbyclient");
  });
  try {
    const page = await context.newPage();
    const editor = new RuleEditorPage(page);
    await editor.goto("R1048");

    // Hover an id: its name and its attack.mitre.org page, from the app's own catalog.
    const text = await editor.value();
    const tech = /technique_id: (T\d{4})/.exec(text)?.[1] ?? "";
    const tactic = /tactic: (TA\d{4})/.exec(text)?.[1] ?? "";
    const hover = editor.region.locator(".monaco-hover:not(.hidden)");
    await expect(async () => {
      await page.mouse.move(1, 1);
      await editor.hoverText(tech);
      await expect(hover).toContainText(tech, { timeout: 2_000 });
    }).toPass({ timeout: 10_000 });
    await expect(hover).toContainText("Exploit Public-Facing Application");
    await expect(hover).toContainText(`https://attack.mitre.org/techniques/${tech}`);

    // Completion of a tactic id, with names.
    await editor.replace(`tactic: ${tactic}`, "tactic: TA000");
    await page.keyboard.press("Control+Space");
    const suggest = editor.region.locator(".suggest-widget");
    await expect(suggest).toContainText("TA0002");
    await expect(suggest).toContainText("Execution");
    await page.keyboard.press("Escape");

    expect(seen.some((u) => u.endsWith("/monaco/vs/loader.js"))).toBe(true);
    expect(seen.some((u) => u.includes("/monaco/vs/editor/editor.main.js"))).toBe(true);
    expect(foreign).toEqual([]);
    expect(seen.filter((u) => !u.startsWith(run.baseURL) && !u.startsWith("blob:") && !u.startsWith("data:"))).toEqual([]);
  } finally {
    await context.close();
  }

  // /monaco needs no session but serves nothing outside monaco-editor/min/vs.
  const anonymous = await playwright.request.newContext({ baseURL: run.baseURL, storageState: { cookies: [], origins: [] } });
  try {
    const loader = await anonymous.get("/monaco/vs/loader.js");
    expect(loader.status()).toBe(200);
    expect(loader.headers()["content-type"]).toMatch(/^text\/javascript/);
    expect(loader.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
    for (const p of ["/monaco/vs/%2e%2e/%2e%2e/package.json", "/monaco/vs/..%2f..%2fpackage.json", "/monaco/vs/editor/editor.main.d.ts", "/monaco/vs/.hidden.js", "/monaco/vs/nope.js"]) {
      expect((await anonymous.get(p)).status(), p).toBe(404);
    }
    expect((await anonymous.get("/api/attack-catalog")).status()).toBe(401);
  } finally {
    await anonymous.dispose();
  }
});

test.describe("as a viewer", () => {
  test.use({ signedInAs: "viewer" });

  test("the editor is read-only, without Save, Delete or New rule; /rules/new-rule refuses", async ({ page }) => {
    const editor = new RuleEditorPage(page);
    await editor.goto("R1049");
    const text = await editor.value();
    await expect(editor.save).toHaveCount(0);
    await expect(editor.delete).toHaveCount(0);
    await expect(editor.newRule).toHaveCount(0);
    await editor.cursorAtEndOf("rule_version:");
    await page.keyboard.type("9");
    await page.keyboard.press("ControlOrMeta+s");
    expect(await editor.value()).toBe(text);
    await expect(editor.unsaved).toBeHidden();

    await page.goto("/rules/new-rule");
    await expect(page.getByRole("main").getByRole("alert")).toHaveText("Creating rules needs the admin role; you are signed in as viewer (viewer).");
  });
});
