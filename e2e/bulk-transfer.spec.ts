import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { strFromU8, strToU8, unzipSync, zipSync } from "fflate";
import { expect, test } from "./fixtures";
import { BulkActions } from "./pages/bulk-actions";
import { RulesPage } from "./pages/rules-page";
import { TransferPage } from "./pages/transfer-page";
import type { Cli } from "./support/cli";

// Rule ids owned here: R1061–R1064 and new ids X_IMPORT_*. (R1060 belongs to activity.spec.ts,
// which counts its history rows, so nothing here writes to it.)

// Each test starts two or three `ttp` processes on a machine shared with Chromium and the server.
test.describe.configure({ timeout: 60_000 });

const HOUR = 3_600_000;
const RULES_DIR = path.resolve(__dirname, "../rules/ttp");

const ROOT = path.resolve(__dirname, "..");

interface TailLine {
  seq: number;
  kind: string;
  rule_id: string;
  actor: string;
  state?: string;
  reason?: string | null;
  expires_at?: string | null;
}

/**
 * `ttp tail --from-seq 0 --json` (the change feed replayed from the start, in another process),
 * read until `count` lines pass `match`; then that tail process is stopped.
 */
function tailUntil(databaseUrl: string, match: (c: TailLine) => boolean, count: number, timeoutMs = 15_000): Promise<TailLine[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", path.join(ROOT, "node_modules/tsx/dist/loader.mjs"), path.join(ROOT, "bin/ttp.ts"), "tail", "--from-seq", "0", "--json"], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, TTP_RULE_STORE: "database", TTP_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const found: TailLine[] = [];
    let buffered = "";
    let stderr = "";
    const finish = (err: Error | null): void => {
      clearTimeout(timer);
      child.kill("SIGTERM");
      if (err) reject(err);
      else resolve(found);
    };
    const timer = setTimeout(() => finish(new Error(`ttp tail: ${found.length} of ${count} matching changes after ${timeoutMs} ms\n${stderr}`)), timeoutMs);
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const c = JSON.parse(line) as TailLine;
        if (match(c)) found.push(c);
      }
      if (found.length >= count) finish(null);
    });
    child.on("error", (err) => finish(err));
  });
}

interface ListedRule {
  rule_id: string;
  revision: number;
  origin: string;
  updated_by: string | null;
  state: { state: string; expires_at: string | null; reason: string | null; set_by: string | null };
}

async function listRules(cli: Cli): Promise<Map<string, ListedRule>> {
  const rows = JSON.parse((await cli.run(["rules", "list", "--json"])).stdout) as ListedRule[];
  return new Map(rows.map((r) => [r.rule_id, r]));
}

function zip(entries: Record<string, string>): Buffer {
  const files: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(entries)) files[name] = strToU8(text);
  return Buffer.from(zipSync(files));
}

function newRule(id: string, confidence = "0.5"): string {
  return [
    `# ${id}: added by bulk-transfer.spec.ts`,
    `rule_id: ${id}`,
    "rule_version: 1",
    "name: e2e_import_probe",
    "description: A rule that arrives in an uploaded pack.",
    "applies_to: [command]",
    "match:",
    "  pattern: '\\bx_import_probe\\b'",
    "emits:",
    "  - technique_id: T1059",
    "    sub_technique_id: T1059.004",
    "    tactic: TA0002",
    `    confidence: ${confidence}`,
    "",
  ].join("\n");
}

test("bulk-disable three rules for 4 hours with one reason: three rows, three separate changes", async ({ page, cli, run }) => {
  const ids = ["R1061", "R1062", "R1063"];
  const reason = `bulk check ${Date.now()}`;
  const rules = new RulesPage(page);
  const bulk = new BulkActions(page);
  await rules.goto();
  await rules.expectLive();
  await rules.search.fill("R106");
  for (const id of ids) await bulk.checkbox(id).check();
  await expect(bulk.count).toHaveText("3 selected");

  const { dialog, submit } = await bulk.open("Disable", 3);
  await dialog.expiresIn("in 4 hours");
  await dialog.reason.fill(reason);
  const before = Date.now();
  await submit.click();
  await expect(dialog.root).toBeHidden();
  await expect(bulk.status).toHaveText("3 disabled");
  const after = Date.now();
  for (const id of ids) {
    await rules.expectConfirmed(id, "disabled");
    await expect(rules.cell(id, "Reason")).toHaveText(reason);
    await expect(rules.cell(id, "Expires")).toHaveText(/^in 3h 59m$/);
  }
  // Succeeded rules leave the selection; the neighbours were never touched.
  await expect(bulk.count).toHaveText("0 selected");
  await expect(rules.state("R1064")).toHaveText("enabled");

  // One change per rule in the feed, each with the one reason (the reason is unique to this run).
  const [changes, stored] = await Promise.all([tailUntil(run.databaseUrl, (c) => c.reason === reason, 3), listRules(cli)]);
  expect(changes.map((c) => [c.rule_id, c.kind, c.actor, c.state])).toEqual(ids.map((id) => [id, "state", "admin", "disabled"]));
  expect(new Set(changes.map((c) => c.seq)).size).toBe(3);
  for (const id of ids) {
    const st = stored.get(id)?.state;
    expect(st).toMatchObject({ state: "disabled", reason, set_by: "admin" });
    const expiresAt = Date.parse(st?.expires_at ?? "");
    expect(expiresAt).toBeGreaterThanOrEqual(before + 4 * HOUR - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 4 * HOUR + 1_000);
  }

  // Clean up through the bulk bar: Enable selected.
  for (const id of ids) await bulk.checkbox(id).check();
  await bulk.enable.click();
  await expect(bulk.status).toHaveText("3 enabled");
  for (const id of ids) await rules.expectConfirmed(id, "enabled");
  const cleaned = await listRules(cli);
  for (const id of ids) expect(cleaned.get(id)?.state).toMatchObject({ state: "enabled", reason: null, expires_at: null });
});

test("Select all matching selects every rule the filters let through, not only the rows drawn", async ({ page }) => {
  const rules = new RulesPage(page);
  const bulk = new BulkActions(page);
  await rules.goto();
  const total = Number(/^(\d+) of \d+ rules$/.exec((await rules.count.textContent()) ?? "")?.[1]);
  expect(total).toBeGreaterThan(40);
  // The list is virtualised: far fewer rows exist in the DOM than match.
  expect(await rules.rows.count()).toBeLessThan(total);

  await bulk.selectAllMatching.check();
  await expect(bulk.count).toHaveText(`${total} selected`);
  await expect(bulk.checkbox("R1001")).toBeChecked();

  // Narrowing the filter keeps the selection and says how much of it is out of view.
  await rules.search.fill("R1061");
  await expect(bulk.bar).toContainText(`(${total - 1} not shown by the filters)`);
  await expect(bulk.selectAllMatching).toBeChecked();
  await bulk.selectAllMatching.uncheck();
  await expect(bulk.count).toHaveText(`${total - 1} selected`);

  await bulk.clear.click();
  await expect(bulk.count).toHaveText("0 selected");
  await expect(bulk.disable).toBeDisabled();
});

test("export downloads a zip of every rule's original YAML as <rule_id>.yaml", async ({ page, cli }) => {
  const transfer = new TransferPage(page);
  await page.goto("/rules");
  await page.getByRole("link", { name: "Import / export" }).click();
  await expect(page).toHaveURL(/\/rules\/import-export$/);

  const [download] = await Promise.all([page.waitForEvent("download"), transfer.download.click()]);
  expect(download.suggestedFilename()).toMatch(/^ttp-rules-\d{4}-\d{2}-\d{2}\.zip$/);
  const files = unzipSync(new Uint8Array(readFileSync(await download.path())));
  const stored = await listRules(cli);
  expect(Object.keys(files).sort()).toEqual([...stored.keys()].map((id) => `${id}.yaml`).sort());
  // Untouched by any spec: byte for byte the file the run's database was imported from, comments included.
  const r0042 = files["R1042.yaml"];
  expect(r0042 && strFromU8(r0042)).toBe(readFileSync(path.join(RULES_DIR, "R1042.yaml"), "utf8"));
});

test("import: the preview shows one change and one addition, and applying writes exactly those", async ({ page, cli }) => {
  const stored = await listRules(cli);
  const r1064 = stored.get("R1064");
  expect(r1064).toBeDefined();
  expect(stored.has("X_IMPORT_1")).toBe(false);
  const original = readFileSync(path.join(RULES_DIR, "R1064.yaml"), "utf8");
  const changed = original.replace("rule_version: 1", "rule_version: 2");
  expect(changed).not.toBe(original);

  const transfer = new TransferPage(page);
  await transfer.goto();
  await transfer.previewUpload(
    "team-pack.zip",
    zip({ "pack/R1064.yaml": changed, "pack/X_IMPORT_1.yaml": newRule("X_IMPORT_1"), "__MACOSX/pack/._R1064.yaml": "junk", "pack/README.md": "notes" }),
  );
  await expect(transfer.preview).toContainText("2 rule files");
  await expect(transfer.section("To add")).toHaveAccessibleName("To add (1)");
  await expect(transfer.section("To add")).toContainText("X_IMPORT_1");
  await expect(transfer.section("To change")).toHaveAccessibleName("To change (1)");
  await expect(transfer.section("To change")).toContainText(`R1064 pack/R1064.yaml: +1 −1 lines, from revision ${r1064?.revision}`);
  await expect(transfer.section("Unchanged")).toHaveAccessibleName("Unchanged (0)");
  await expect(transfer.section("To delete")).toHaveCount(0);
  await transfer.section("To change").getByText("Diff of R1064").click();
  await expect(transfer.section("To change").locator("pre")).toContainText("- rule_version: 1");
  await expect(transfer.section("To change").locator("pre")).toContainText("+ rule_version: 2");
  // A preview writes nothing.
  expect((await listRules(cli)).get("R1064")?.revision).toBe(r1064?.revision);

  await transfer.apply.click();
  await expect(transfer.result.getByRole("status")).toHaveText("1 added, 1 changed, 0 unchanged");
  await expect(transfer.result.getByRole("row", { name: /X_IMPORT_1 added 1/ })).toBeVisible();

  const after = await listRules(cli);
  expect(after.get("X_IMPORT_1")).toMatchObject({ revision: 1, origin: "import", updated_by: "admin" });
  expect(after.get("R1064")).toMatchObject({ revision: (r1064?.revision ?? 0) + 1, origin: "import", updated_by: "admin" });
  expect(after.size).toBe(stored.size + 1);

  const rules = new RulesPage(page);
  await rules.goto();
  await rules.show("X_IMPORT_1");
  await expect(rules.cell("X_IMPORT_1", "Origin")).toHaveText("import");
});

test("import: an invalid file is reported with its line and nothing is written", async ({ page, cli }) => {
  const transfer = new TransferPage(page);
  await transfer.goto();

  // Not a zip at all: refused beside the field.
  await transfer.previewUpload("rules.txt", Buffer.from("rule_id: R1064\n"), "text/plain");
  await expect(transfer.file).toHaveAccessibleDescription(/^rules\.txt is not a \.zip file/);
  await expect(transfer.preview).toHaveCount(0);

  const before = await listRules(cli);
  const bad = newRule("X_IMPORT_2", "1.5");
  const line = bad.split("\n").findIndex((l) => l.includes("confidence: 1.5")) + 1;
  const r1064 = readFileSync(path.join(RULES_DIR, "R1064.yaml"), "utf8").replace("confidence: 0.85", "confidence: 0.8");
  await transfer.previewUpload("broken.zip", zip({ "R1064.yaml": r1064, "X_IMPORT_2.yaml": bad }));

  const problems = transfer.preview.getByRole("alert");
  await expect(problems).toContainText("1 problem; nothing can be imported until the pack is fixed");
  await expect(problems.getByRole("listitem")).toHaveText([new RegExp(`^X_IMPORT_2\\.yaml:${line}:\\d+: .*confidence`)]);
  await expect(transfer.apply).toHaveCount(0);
  await expect(transfer.section("To change")).toHaveCount(0);

  const after = await listRules(cli);
  expect(after.has("X_IMPORT_2")).toBe(false);
  expect(after.get("R1064")?.revision).toBe(before.get("R1064")?.revision);
  expect(after.size).toBe(before.size);
});

/** POSTs `total` bytes with chunked transfer encoding (no Content-Length), stopping when the answer arrives. */
function postChunked(url: string, headers: Record<string, string>, total: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(url, { method: "POST", headers: { ...headers, "transfer-encoding": "chunked" } }, (res) => {
      answered = true;
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const write = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", write);
          return;
        }
      }
      if (!answered) req.end();
    };
    write();
  });
}

test("POST /api/rules/import: admin only, same origin for the session cookie, 413 past its limit; an API token imports", async ({ page, playwright, baseURL, cli }) => {
  const url = `${baseURL}/api/rules/import?step=preview`;
  const multipart = (buffer: Buffer) => ({ multipart: { file: { name: "pack.zip", mimeType: "application/zip", buffer } } });
  const pack = zip({ "X_IMPORT_3.yaml": newRule("X_IMPORT_3") });
  const origin = new URL(baseURL as string).origin;

  // The signed-in admin's cookie: only from the app's own origin.
  expect((await page.request.post(url, { ...multipart(pack), headers: { origin: "http://evil.example" } })).status()).toBe(403);
  expect((await page.request.post(url, { ...multipart(pack), headers: { origin: "null" } })).status()).toBe(403);
  expect((await page.request.post(url, multipart(pack))).status()).toBe(403);
  const own = await page.request.post(url, { ...multipart(pack), headers: { origin } });
  expect(own.status()).toBe(200);
  expect(await own.json()).toMatchObject({ fileName: "pack.zip", problems: [], add: [{ ruleId: "X_IMPORT_3", file: "X_IMPORT_3.yaml" }] });

  // 11 MiB + 1 byte of body: refused from its Content-Length.
  const tooBig = await page.request.post(url, { ...multipart(Buffer.alloc(11 * 1024 * 1024 + 1)), headers: { origin } });
  expect(tooBig.status()).toBe(413);
  expect(await tooBig.json()).toEqual({ detail: "The upload is larger than 11.0 MiB; a rule pack may be at most 10.0 MiB.", field: "file" });

  const token = async (user: string) => (await cli.run(["token", "create", user, "--label", `e2e-import-${user}-${Date.now()}`])).stdout.trim();
  const anonymous = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  try {
    expect((await anonymous.post(url, { ...multipart(pack), headers: { origin } })).status()).toBe(401);
    const viewer = await anonymous.post(url, { ...multipart(pack), headers: { authorization: `Bearer ${await token("viewer")}` } });
    expect(viewer.status()).toBe(403);
    const adminToken = await token("admin");
    const scripted = await anonymous.post(url, { ...multipart(pack), headers: { authorization: `Bearer ${adminToken}` } });
    expect(scripted.status()).toBe(200);
    expect(await scripted.json()).toMatchObject({ add: [{ ruleId: "X_IMPORT_3" }] });

    // No Content-Length: the route stops reading at its limit and answers 413. (proxy.ts sees every
    // request, so Next reads the rest of the body before the route runs, keeping at most 12 MiB.)
    const streamed = await postChunked(url, { authorization: `Bearer ${adminToken}`, "content-type": "multipart/form-data; boundary=x" }, 16 * 1024 * 1024);
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toEqual({ detail: "The upload is larger than 11.0 MiB; a rule pack may be at most 10.0 MiB.", field: "file" });
  } finally {
    await anonymous.dispose();
  }
  // Previews only: nothing was written.
  expect((await listRules(cli)).has("X_IMPORT_3")).toBe(false);
});

test.describe("as a viewer", () => {
  test.use({ signedInAs: "viewer" });

  test("can export but has no selection, bulk bar or import form", async ({ page, playwright, baseURL }) => {
    const rules = new RulesPage(page);
    await rules.goto();
    await expect(rules.rows.first()).toBeVisible();
    await expect(page.getByRole("checkbox")).toHaveCount(0);
    await expect(page.getByRole("group", { name: "Bulk actions" })).toHaveCount(0);

    const transfer = new TransferPage(page);
    await transfer.goto();
    await expect(page.getByText("Importing a rule pack needs the admin role.")).toBeVisible();
    await expect(transfer.file).toHaveCount(0);
    const res = await page.request.get("/api/rules/export");
    expect(res.status()).toBe(200);
    expect(res.headers()["content-type"]).toBe("application/zip");

    const anonymous = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
    try {
      expect((await anonymous.get("/api/rules/export")).status()).toBe(401);
    } finally {
      await anonymous.dispose();
    }
  });
});
