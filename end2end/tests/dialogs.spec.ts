import { expect, test } from "@playwright/test";
import { jsEnabled, login, newDataCenter, ready } from "./helpers";

test("a stale edit gets a clear conflict and overwrites nothing", async ({ browser, page }, info) => {
  const name = `conflict-${info.project.name}`;
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  const editUrl = new URL(page.url()).searchParams.get("selected");

  // Two admins open the same VM.
  await page.goto(`/vms?dialog=edit&id=${editUrl}&selected=${editUrl}`);
  await ready(page, info);
  const other = await browser.newPage({ javaScriptEnabled: jsEnabled(info) });
  await login(other, info, `/vms?dialog=edit&id=${editUrl}&selected=${editUrl}`);
  await other.getByRole("dialog", { name: "Edit Virtual Machine" }).getByLabel("Description").fill("saved first");
  await other.getByRole("button", { name: "OK" }).click();
  await expect(other).toHaveURL(/\/vms\?selected=/);
  await other.close();

  const mine = page.getByRole("dialog", { name: "Edit Virtual Machine" });
  await mine.getByLabel("Description").fill("saved second");
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page.getByRole("alert").first()).toContainText("was changed by someone else");
  await expect(page.getByRole("alert").first()).toContainText("Nothing was saved");
  await page.goto("/vms");
  await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toContainText("saved first");
});

test("field errors mark the tab that holds them", async ({ page }, info) => {
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name").fill(`bad-pin-${info.project.name}`);
  if (jsEnabled(info)) await dialog.getByRole("tab", { name: "Resource Allocation" }).click();
  await dialog.getByLabel("CPU Pinning Topology").fill("0#5");
  await page.getByRole("button", { name: "OK" }).click();
  const tab = dialog.getByRole("tab", { name: /Resource Allocation/ });
  await expect(tab).toHaveAttribute("data-has-errors", "true");
  await expect(dialog.getByText("CPU pinning needs the VM pinned to a specific host")).toBeVisible();
  await expect(dialog.getByRole("tab", { name: /Console/ })).toHaveAttribute("data-has-errors", "false");
});

test("a cluster's Optimization tab turns KSM off", async ({ page }, info) => {
  const name = `opt-${info.project.name}`;
  // A 4.6 cluster needs a data center at 4.6 or below (Default is at 4.8): the engine's rule.
  const dc = `opt-dc-${info.project.name}`;
  await login(page, info, "/datacenters");
  await newDataCenter(page, info, dc, "4.6");
  await page.goto("/clusters");
  await ready(page, info);
  await page.getByRole("button", { name: "New" }).click();
  const dialog = page.getByRole("dialog", { name: "New Cluster" });
  await dialog.getByLabel("Data Center").selectOption({ label: dc });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Compatibility Version").selectOption("4.6");
  if (jsEnabled(info)) await dialog.getByRole("tab", { name: "Optimization" }).click();
  await dialog.getByLabel("Enable KSM").uncheck();
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/clusters\?selected=/);
  const row = page.locator("#clusters-grid tbody tr", { hasText: name });
  await expect(row.getByRole("cell", { name: "4.6" })).toBeVisible();
  await expect(row.getByRole("cell", { name: dc })).toBeVisible();
  await expect(row.getByRole("cell", { name: "Disabled" }).first()).toBeVisible();
});

test("KSM on a simulated host is switched in Vireo and says so", async ({ page }, info) => {
  await login(page, info, "/hosts");
  await page.locator("#hosts-grid").getByRole("link", { name: "default-host" }).click();
  await ready(page, info);
  const detail = page.getByRole("region", { name: "Host default-host" });
  await expect(detail.getByText("Simulated host: Vireo records the KSM state itself.")).toBeVisible();
  const ksm = detail.getByTestId("ksm");
  const before = (await ksm.textContent()) ?? "";
  // "unknown" and "running" both offer to stop it.
  await detail.getByRole("button", { name: before === "stopped" ? "Start KSM" : "Stop KSM" }).click();
  await expect(ksm).toHaveText(before === "stopped" ? "running" : "stopped");
  // Leave KSM running, as the other tests expect (so R4 is recommended).
  if (before !== "stopped") {
    await detail.getByRole("button", { name: "Start KSM" }).click();
    await expect(ksm).toHaveText("running");
  }
});
