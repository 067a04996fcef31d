import { expect, Page, test, TestInfo } from "@playwright/test";
import { jsEnabled, login, ready, openTab, newRhelVmDialog } from "./helpers";

/** After a select changes, the hydrated dialog applies the rules at once; without JavaScript the
 * user presses "Update" (a GET round trip that re-renders the dialog with the rules applied). */
async function update(page: Page, info: TestInfo) {
  if (!jsEnabled(info)) {
    await page.getByRole("button", { name: "Update" }).click();
    await ready(page, info);
  }
}

test("creating a High Performance VM: change list, recommendations, every fix, values kept", async ({ page }, info) => {
  const name = `hp-${info.project.name}`;
  const dialog = await newRhelVmDialog(page, info, name, 2048, 2);
  await dialog.getByLabel("Optimized for").selectOption({ label: "High Performance" });
  await update(page, info);

  // The profile's changes are listed, with old → new and why.
  const changes = page.getByRole("region", { name: "Changes made" });
  await expect(changes).toBeVisible();
  await expect(changes.locator('tr[data-change="headless"] td.new')).toHaveText("on");
  await expect(changes.locator('tr[data-change="migration"] td.new')).toHaveText("Do not allow migration");
  await expect(changes).toContainText("A9: no memory balloon");
  // No host is pinned: the profile gives it dedicated CPUs at each start (issue 19).
  await expect(changes.locator('tr[data-change="cpu_pinning_policy"] td.new')).toHaveText("Dedicated");
  await openTab(page, info, "Console");
  await expect(page.getByLabel("Headless Mode")).toBeChecked();
  await expect(page.getByLabel("USB Support")).not.toBeChecked();
  // This VM is pinned at save time instead: with no policy, R1–R3 pin it now.
  await openTab(page, info, "Resource Allocation");
  await page.getByLabel("CPU Pinning Policy").selectOption("none");

  // OK: the recommendations come up, each with a computed fix.
  await page.getByRole("button", { name: "OK" }).click();
  const review = page.getByRole("dialog", { name: "High Performance Virtual Machine Settings" });
  await expect(review).toBeVisible();
  for (const id of ["R1", "R2", "R3", "R4", "R5"]) {
    await expect(review.locator(`li[data-recommendation="${id}"]`)).toBeVisible();
  }
  for (const title of ["CPU pinning", "IO thread pinning", "Virtual NUMA", "Kernel same-page merging (KSM)", "Huge pages"]) {
    await review.getByRole("button", { name: `Apply fix: ${title}` }).click();
    await expect(review.getByRole("button", { name: `Apply fix: ${title}` })).toHaveCount(0);
  }
  await expect(review.getByRole("status")).toHaveText("All High Performance recommendations are met.");
  // The fixes show in the fields, before saving.
  await review.getByRole("button", { name: "Back to edit" }).click();
  await openTab(page, info, "Resource Allocation");
  await expect(page.getByLabel("CPU Pinning Topology")).toHaveValue(/^0#\d+_1#\d+$/);
  await expect(page.getByLabel("Disable KSM for this VM")).toBeChecked();
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);
  const row = page.locator("#vms-grid tbody tr", { hasText: name });
  await expect(row).toHaveAttribute("data-type", "high_performance");

  // The General sub-tab shows Optimized for and every High Performance setting.
  const general = page.getByRole("region", { name: `VM ${name}` });
  await expect(general.locator('[data-fact="optimized-for"]')).toHaveText("High Performance");
  await expect(general.locator('[data-fact="cpu-topology"]')).toHaveText("2 vCPUs: 1 sockets × 2 cores × 1 threads");
  const hp = general.getByTestId("high-performance");
  await expect(hp.locator('[data-fact="pinned-host"]')).toHaveText(/-host$/);
  await expect(hp.locator('[data-fact="cpu-pinning"]')).toHaveText(/^0#\d+_1#\d+$/);
  await expect(hp.locator('[data-fact="emulator-pinning"]')).not.toHaveText("—");
  await expect(hp.locator('[data-fact="io-threads"]')).toHaveText("1");
  await expect(hp.locator('[data-fact="io-thread-pinning"]')).toHaveText(/^1#/);
  await expect(hp.locator('[data-fact="vnuma"]')).toContainText("node 0: vCPUs 0-1, 2048 MiB → host cell");
  await expect(hp.locator('[data-fact="huge-pages"]')).toHaveText("2 × 1 GiB");
  await expect(hp.locator('[data-fact="ksm-for-this-vm"]')).toHaveText("disabled");

  // Reopen: everything the fixes set was saved.
  await page.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: "Edit Virtual Machine" });
  await expect(edit).toBeVisible();
  await ready(page, info);
  await expect(edit.getByLabel("Optimized for")).toHaveValue("high_performance");
  await openTab(page, info, "Resource Allocation");
  await expect(edit.getByLabel("CPU Pinning Topology")).toHaveValue(/^0#\d+_1#\d+$/);
  await expect(edit.getByLabel("Emulator Thread Pinning")).not.toHaveValue("");
  await expect(edit.getByLabel("IO Thread Pinning")).toHaveValue(/^1#/);
  await expect(edit.getByLabel("Huge Pages")).toHaveValue("1048576");
  await expect(edit.getByLabel("Huge Page Count")).toHaveValue("2");
  await expect(edit.getByLabel("Disable KSM for this VM")).toBeChecked();
  await openTab(page, info, "Host");
  await expect(edit.getByLabel("Start Running On")).toHaveValue(/[0-9a-f-]{36}/);
  await expect(edit.getByLabel("NUMA Node Count")).toHaveValue("1");
  await expect(edit.getByLabel("NUMA node 0 vCPUs")).toHaveValue("0-1");
});

test("a Windows guest cannot be High Performance, and the dialog says why", async ({ page }, info) => {
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Operating System").selectOption({ label: "Windows Server 2022" });
  await update(page, info);
  const option = dialog.getByLabel("Optimized for").locator('option[value="high_performance"]');
  await expect(option).toBeDisabled();
  await expect(dialog.locator('.gate-reason[data-choice="High Performance"]')).toContainText("not available for Windows");
});

test("a VM made from a High Performance template inherits it", async ({ page }, info) => {
  const template = `hp-tpl-${info.project.name}`;
  await login(page, info, "/templates?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Template" });
  await dialog.getByLabel("Name").fill(template);
  await dialog.getByLabel("Optimized for").selectOption({ label: "High Performance" });
  await update(page, info);
  await page.getByRole("button", { name: "OK" }).click();
  // Templates are recommended to as well; save without pinning (a template has no host yet).
  const review = page.getByRole("dialog", { name: "High Performance Template Settings" });
  await review.getByRole("button", { name: "Save anyway" }).click();
  await expect(page).toHaveURL(/\/templates\?selected=/);
  await expect(page.locator("#templates-grid tbody tr", { hasText: template })).toHaveAttribute("data-type", "high_performance");

  await page.goto("/vms?dialog=new");
  await ready(page, info);
  const vm = page.getByRole("dialog", { name: "New Virtual Machine" });
  await vm.getByLabel("Template").selectOption({ label: `${template} (High Performance)` });
  await update(page, info);
  await expect(vm.getByLabel("Optimized for")).toHaveValue("high_performance");
  await openTab(page, info, "Console");
  await expect(vm.getByLabel("Headless Mode")).toBeChecked();
  await openTab(page, info, "Resource Allocation");
  await expect(vm.getByLabel("Memory Balloon Device")).not.toBeChecked();
});
