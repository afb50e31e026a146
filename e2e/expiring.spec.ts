import { expect, test } from "./fixtures";
import { ExpiringPage } from "./pages/expiring-page";
import { markDocument } from "./support/no-reload";

// Rule ids owned here: R1050–R1052.
const HOUR = 3_600_000;

test("states with an expiry are listed soonest first and can be extended or ended", async ({ page, cli }) => {
  await cli.setState("R1050", "disabled", ["--expires", "2h", "--reason", "later"]);
  await cli.setState("R1051", "clipped", ["--confidence-max", "0.5", "--expires", "1h", "--reason", "sooner"]);
  const before = await cli.state("R1051");
  const expiring = new ExpiringPage(page);
  await expiring.goto();

  const ids = await expiring.expiringIds();
  expect(ids).toContain("R1050");
  expect(ids.indexOf("R1051")).toBeGreaterThanOrEqual(0);
  expect(ids.indexOf("R1051")).toBeLessThan(ids.indexOf("R1050"));
  await expect(expiring.row(expiring.expiring, "R1051")).toContainText("clipped ≤ 0.5");
  await expect(expiring.row(expiring.expiring, "R1051")).toContainText(/in 59m \d+s/);

  await expiring.extend("R1051", "1 hour").click();
  await expect(expiring.row(expiring.expiring, "R1051")).toContainText(/in 1h 59m/);
  const after = await cli.state("R1051");
  // Extended from its current end, not from now.
  expect(Date.parse(after.expires_at ?? "") - Date.parse(before.expires_at ?? "")).toBe(HOUR);
  expect(after).toMatchObject({ state: "clipped", confidence_max: 0.5, reason: "sooner" });

  await expiring.endNow("R1050").click();
  await expect(expiring.row(expiring.expiring, "R1050")).toHaveCount(0);
  expect(await cli.state("R1050")).toMatchObject({ state: "enabled", expires_at: null });
});

test("a state that expires leaves the list and shows under Recently reverted by itself", async ({ page, cli }) => {
  const id = "R1052";
  const expiring = new ExpiringPage(page);
  await expiring.goto();
  await expect(expiring.live).toBeVisible();
  const notReloaded = await markDocument(page);
  await expect(expiring.row(expiring.reverted, id)).toHaveCount(0);

  await cli.setState(id, "disabled", ["--expires", "4s", "--reason", "short one"]);
  await expect(expiring.row(expiring.expiring, id)).toContainText("disabled");

  await expect(expiring.row(expiring.expiring, id)).toHaveCount(0, { timeout: 6_000 });
  const reverted = expiring.row(expiring.reverted, id);
  await expect(reverted).toContainText("disabled");
  await expect(reverted).toContainText("short one");
  await notReloaded();
});
