import { expect, test } from "./fixtures";
import { RulesPage } from "./pages/rules-page";
import { markDocument } from "./support/no-reload";

// Each test owns its rule ids: R1020–R1021. Changes come from the `ttp` CLI, a separate OS process.

test("a change made with the CLI appears in an open page within a second", async ({ page, cli }) => {
  const id = "R1020";
  const rules = new RulesPage(page);
  await rules.goto();
  await rules.show(id);
  await rules.expectLive();
  const notReloaded = await markDocument(page);
  await expect(rules.state(id)).toHaveText("enabled");

  await cli.setState(id, "disabled", ["--reason", "changed from the cli"], "ops-cli");
  await expect(rules.state(id)).toHaveText("disabled", { timeout: 1_000 });
  await expect(rules.cell(id, "Set by")).toHaveText("ops-cli");
  await expect(rules.cell(id, "Reason")).toHaveText("changed from the cli");

  await cli.clearState(id, "ops-cli");
  await expect(rules.state(id)).toHaveText("enabled", { timeout: 1_000 });
  await notReloaded();
});

test("a short expiry reverts on screen by itself", async ({ page, cli }) => {
  const id = "R1021";
  const rules = new RulesPage(page);
  await rules.goto();
  await rules.show(id);
  await rules.expectLive();
  const notReloaded = await markDocument(page);

  await cli.setState(id, "disabled", ["--expires", "4s", "--reason", "brief"]);
  await expect(rules.state(id)).toHaveText("disabled", { timeout: 1_000 });
  await expect(rules.cell(id, "Expires")).toHaveText(/^in [0-4]s$/);

  await expect(rules.state(id)).toHaveText("enabled", { timeout: 6_000 });
  await expect(rules.cell(id, "Expires")).toHaveText("—");
  await expect(rules.cell(id, "Reason")).toHaveText("");
  await notReloaded();
  expect(await cli.state(id)).toMatchObject({ state: "enabled" });
});
