import { expect, Page, test, TestInfo } from "@playwright/test";
import { jsEnabled, login, ready, openTab } from "./helpers";

// Issue 19's CPU pinning policies in the dialog: the High Performance default, the policy and
// emulator thread selects on the Resource Allocation tab, their validation, R1's second fix, and
// how many of an HP pool's VMs fit on each host.

/** Hydrated, the dialog applies the rules at once; without JavaScript "Update" re-renders it. */
async function update(page: Page, info: TestInfo) {
  if (!jsEnabled(info)) {
    await page.getByRole("button", { name: "Update" }).click();
    await ready(page, info);
  }
}

test("an HP pool gets dedicated CPUs, says how many VMs fit on each host, and refuses manual without pins", async ({ page }, info) => {
  const name = `ded-pool-${info.project.name}`;
  await login(page, info, "/pools?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Pool" });
  await expect(dialog).toBeVisible();
  await ready(page, info);
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Operating System").selectOption({ label: "Red Hat Enterprise Linux 9.x x64" });
  await dialog.getByLabel("Total Virtual CPUs").fill("2");
  await dialog.getByLabel("Optimized for").selectOption({ label: "High Performance" });
  await update(page, info);

  const changes = page.getByRole("region", { name: "Changes made" });
  await expect(changes.locator('tr[data-change="cpu_pinning_policy"] td.new')).toHaveText("Dedicated");
  await openTab(page, info, "Resource Allocation");
  await expect(dialog.getByLabel("CPU Pinning Policy")).toHaveValue("dedicated");
  await expect(dialog.getByLabel("Emulator Thread Policy")).toHaveValue("share");

  // The Pool tab: per host of the cluster, how many of these VMs run side by side.
  await openTab(page, info, "Pool");
  const capacity = dialog.getByRole("region", { name: "VMs that fit on each host" });
  await expect(capacity).toContainText("CPU pinning policy Dedicated: each VM gets host CPUs of its own at start.");
  const host = capacity.locator("li[data-fits]").first();
  await expect(host).toHaveText(/: \d+ VMs?$/);
  const dedicated = Number(await host.getAttribute("data-fits"));
  expect(dedicated).toBeGreaterThan(1);

  // Isolate Threads gives each vCPU a whole core: fewer fit.
  await openTab(page, info, "Resource Allocation");
  await dialog.getByLabel("CPU Pinning Policy").selectOption("isolate_threads");
  await dialog.getByLabel("Emulator Thread Policy").selectOption("isolate");
  await update(page, info);
  await openTab(page, info, "Pool");
  await expect(capacity).toContainText("CPU pinning policy Isolate Threads");
  const isolated = Number(await capacity.locator("li[data-fits]").first().getAttribute("data-fits"));
  expect(isolated).toBeLessThan(dedicated);

  // Manual without pins is a field error on the pinning.
  await openTab(page, info, "Resource Allocation");
  await dialog.getByLabel("CPU Pinning Policy").selectOption("manual");
  await dialog.getByLabel("Emulator Thread Policy").selectOption("share");
  await page.getByRole("button", { name: "OK" }).click();
  await ready(page, info);
  await openTab(page, info, "Resource Allocation");
  await expect(page.getByText("The CPU pinning policy Manual needs a CPU Pinning Topology")).toBeVisible();

  // Dedicated again: it saves (the review lists what is left; save anyway).
  await page.getByLabel("CPU Pinning Policy").selectOption("dedicated");
  await page.getByRole("button", { name: "OK" }).click();
  const review = page.getByRole("dialog", { name: "High Performance Pool Settings" });
  await expect(review).toBeVisible();
  await expect(review.locator('li[data-recommendation="R1"]')).toHaveCount(0);
  await review.getByRole("button", { name: "Save anyway" }).click();
  await expect(page).toHaveURL(/\/pools\?selected=/);
  await expect(page.locator("#pools-grid tbody tr", { hasText: name })).toBeVisible();
});

test("R1 offers dedicated CPUs at each start beside pinning now", async ({ page }, info) => {
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await expect(dialog).toBeVisible();
  await ready(page, info);
  await dialog.getByLabel("Name").fill(`r1-alt-${info.project.name}`);
  await dialog.getByLabel("Operating System").selectOption({ label: "Red Hat Enterprise Linux 9.x x64" });
  await dialog.getByLabel("Optimized for").selectOption({ label: "High Performance" });
  await update(page, info);
  await openTab(page, info, "Resource Allocation");
  await dialog.getByLabel("CPU Pinning Policy").selectOption("none");
  await page.getByRole("button", { name: "OK" }).click();
  const review = page.getByRole("dialog", { name: "High Performance Virtual Machine Settings" });
  await expect(review).toBeVisible();
  const r1 = review.locator('li[data-recommendation="R1"]');
  await expect(r1.getByRole("button", { name: "Apply fix: CPU pinning" })).toBeVisible();
  await expect(r1).toContainText("Dedicated CPUs at each start");
  await r1.getByRole("button", { name: "Apply the other fix: CPU pinning" }).click();
  await ready(page, info);
  await expect(review.locator('li[data-recommendation="R1"]')).toHaveCount(0);
  await review.getByRole("button", { name: "Back to edit" }).click();
  await openTab(page, info, "Resource Allocation");
  await expect(page.getByLabel("CPU Pinning Policy")).toHaveValue("dedicated");
  await expect(page.getByLabel("CPU Pinning Topology")).toHaveValue("");
});
