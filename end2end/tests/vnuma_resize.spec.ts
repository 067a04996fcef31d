import { expect, Page, test, TestInfo } from "@playwright/test";
import { jsEnabled, login, ready, openTab, newRhelVmDialog } from "./helpers";

// vNUMA nodes follow a memory or vCPU change in the Edit dialog before OK (domain::numa, oVirt's
// NumaUtils.setNumaListConfiguration): hydrated as the field changes, without JavaScript on "Update".

async function update(page: Page, info: TestInfo) {
  if (!jsEnabled(info)) {
    await page.getByRole("button", { name: "Update" }).click();
    await ready(page, info);
  }
}

async function openEdit(page: Page, info: TestInfo) {
  await page.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: "Edit Virtual Machine" });
  await expect(edit).toBeVisible();
  await ready(page, info);
  return edit;
}

test("memory and vCPU changes spread the vNUMA nodes again, or say why they cannot", async ({ page }, info) => {
  const name = `vnuma-${info.project.name}`;
  const dialog = await newRhelVmDialog(page, info, name, 2048, 4);
  await openTab(page, info, "Host");
  await dialog.getByLabel("NUMA Node Count").fill("2");
  await update(page, info);
  await dialog.getByLabel("NUMA node 0 vCPUs").fill("0-1");
  await dialog.getByLabel("NUMA node 0 memory").fill("1024");
  await dialog.getByLabel("NUMA node 1 vCPUs").fill("2-3");
  await dialog.getByLabel("NUMA node 1 memory").fill("1024");
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);

  // Memory up: both nodes grow before OK, and the change list says so.
  let edit = await openEdit(page, info);
  await edit.getByLabel("Memory Size").fill("4096");
  await update(page, info);
  const changes = page.getByRole("region", { name: "Changes made" });
  await expect(changes.locator('tr[data-change="numa_nodes"] td.old')).toHaveText(
    "0: vCPUs 0-1, 1024 MiB; 1: vCPUs 2-3, 1024 MiB",
  );
  await expect(changes.locator('tr[data-change="numa_nodes"] td.new')).toHaveText(
    "0: vCPUs 0-1, 2048 MiB; 1: vCPUs 2-3, 2048 MiB",
  );
  await openTab(page, info, "Host");
  await expect(edit.getByLabel("NUMA node 0 memory")).toHaveValue("2048");
  await expect(edit.getByLabel("NUMA node 1 memory")).toHaveValue("2048");
  await expect(edit.getByLabel("NUMA node 1 vCPUs")).toHaveValue("2-3");
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);

  // Saved as shown; fewer vCPUs than nodes is refused on the NUMA fields, the nodes untouched.
  edit = await openEdit(page, info);
  await openTab(page, info, "Host");
  await expect(edit.getByLabel("NUMA node 0 memory")).toHaveValue("2048");
  await openTab(page, info, "General");
  await edit.getByLabel("Total Virtual CPUs").fill("1");
  await update(page, info);
  await openTab(page, info, "Host");
  await expect(edit.locator('fieldset[data-field="numa_nodes"]')).toContainText("2 NUMA nodes for 1 vCPUs");
  await expect(edit.getByLabel("NUMA node 1 vCPUs")).toHaveValue("2-3");

  // Two vCPUs are enough: one each.
  await openTab(page, info, "General");
  await edit.getByLabel("Total Virtual CPUs").fill("2");
  await update(page, info);
  await openTab(page, info, "Host");
  await expect(edit.getByLabel("NUMA node 0 vCPUs")).toHaveValue("0");
  await expect(edit.getByLabel("NUMA node 1 vCPUs")).toHaveValue("1");
  await expect(edit.locator('fieldset[data-field="numa_nodes"]')).not.toContainText("NUMA nodes for");
});
