import { expect, Page, test, TestInfo } from "@playwright/test";
import { jsEnabled, login, ready } from "./helpers";

function suffix(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** Picks the select's first option whose text contains `text`. */
async function pick(page: Page, label: string, text: string) {
  const select = page.getByRole("dialog").first().getByLabel(label);
  const value = await select.locator("option", { hasText: text }).first().getAttribute("value");
  expect(value, `${label}: an option with ${text}`).toBeTruthy();
  await select.selectOption(value!);
}

/** Selects the grid row named `name` (its link) and waits for the page. */
async function selectRow(page: Page, info: TestInfo, grid: string, name: string) {
  await page.locator(`${grid} tbody tr`, { hasText: name }).getByRole("link", { name }).click();
  await expect(page).toHaveURL(/selected=/);
  await ready(page, info);
}

test("a VM with a 10 GiB boot disk: Disks sub-tab, Disks grid, domain XML, runs, removed with its disk", async ({
  page,
}, info) => {
  const name = `disk-${info.project.name}-${suffix()}`;
  const disk = `${name}_Disk1`;
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name").fill(name);
  const images = dialog.getByTestId("instance-images");
  await expect(images.getByLabel("Create boot disk")).toBeChecked();
  await expect(images.getByLabel("Disk Size (GiB)")).toHaveValue("10");
  await pick(page, "Storage Domain", "default-pool");
  await expect(images.getByLabel("Thin provision")).toBeChecked();
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);

  const detail = page.getByRole("region", { name: `VM ${name}` });
  await detail.getByRole("tab", { name: "Disks" }).click();
  await ready(page, info);
  const attached = page.getByTestId("attached-disks");
  const diskRow = attached.locator("tbody tr", { hasText: disk });
  await expect(diskRow).toContainText("10 GiB");
  await expect(diskRow).toContainText("VirtIO");
  await expect(diskRow).toContainText("default-pool");

  await page.getByRole("region", { name: `VM ${name}` }).getByRole("tab", { name: "Domain XML" }).click();
  await expect(page.getByTestId("domain-xml")).toContainText("<disk");
  await expect(page.getByTestId("domain-xml")).toContainText("default-pool");

  const row = page.locator("#vms-grid tbody tr", { hasText: name });
  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveAttribute("data-status", "up");
  await expect(row).toBeVisible();

  await page.goto(`/disks?q=${encodeURIComponent(disk)}`);
  await ready(page, info);
  const gridRow = page.locator("#disks-grid tbody tr", { hasText: disk });
  await expect(gridRow).toContainText("10 GiB");
  await expect(gridRow).toContainText(`VM ${name}`);

  // Remove the running VM with its disks (the box is ticked by default).
  await page.goto(`/vms?q=${encodeURIComponent(name)}`);
  await ready(page, info);
  await page.locator("#vms-grid tbody tr", { hasText: name }).getByRole("checkbox").check();
  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Remove" }).click();
  const remove = page.getByRole("dialog", { name: "Remove Virtual Machines" });
  await expect(remove.getByLabel("Remove disks")).toBeChecked();
  await remove.getByRole("button", { name: "Remove" }).click();
  await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveCount(0);
  await page.goto(`/disks?q=${encodeURIComponent(disk)}`);
  await ready(page, info);
  await expect(page.getByTestId("grid-empty")).toBeVisible();
});

test("a storage domain and a disk in it: created, shown, removed", async ({ page }, info) => {
  const tag = `${info.project.name}-${suffix()}`;
  const domain = `e2e-${tag}`;
  const disk = `data-${tag}`;
  await login(page, info, "/storage-domains");
  await page.getByRole("toolbar", { name: "Storage domain actions" }).getByRole("button", { name: "New Domain" }).click();
  const add = page.getByRole("dialog", { name: "New Storage Domain" });
  await expect(add).toBeVisible();
  await ready(page, info);
  await add.getByLabel("Name").fill(domain);
  await add.getByLabel("Path").fill(`/vireo-e2e-${tag}`);
  await add.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/storage-domains\?selected=/);
  await ready(page, info);
  const domainRow = page.locator("#storage-domains-grid tbody tr", { hasText: domain });
  await expect(domainRow).toHaveAttribute("data-status", "active");
  await expect(domainRow).toContainText(`/vireo-e2e-${tag}`);

  // The Disks toolbar opens the image upload over the grid.
  await page.goto("/disks");
  await ready(page, info);
  await page.getByRole("toolbar", { name: "Disk actions" }).getByRole("button", { name: "Upload" }).click();
  await expect(page.getByRole("dialog", { name: "Upload Image" })).toBeVisible();

  // A disk in it; a bad size first comes back on the form.
  await page.goto("/disks?dialog=new");
  await ready(page, info);
  const create = page.getByRole("dialog", { name: "New Disk" });
  await create.getByLabel("Name").fill(disk);
  await create.getByLabel("Size (GiB)").fill("lots");
  await pick(page, "Storage Domain", domain);
  await create.getByRole("button", { name: "OK" }).click();
  await expect(page.getByRole("dialog", { name: "New Disk" })).toContainText("Give a size in GiB");
  const again = page.getByRole("dialog", { name: "New Disk" });
  await again.getByLabel("Name").fill(disk);
  await again.getByLabel("Size (GiB)").fill("1");
  await pick(page, "Storage Domain", domain);
  await again.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/disks\?selected=/);
  await ready(page, info);
  const diskRow = page.locator("#disks-grid tbody tr", { hasText: disk });
  await expect(diskRow).toContainText("1 GiB");
  await expect(diskRow).toContainText(domain);

  // The domain holds a disk: removing it is refused, and says why.
  await page.goto("/storage-domains");
  await ready(page, info);
  await selectRow(page, info, "#storage-domains-grid", domain);
  await page.getByRole("toolbar", { name: "Storage domain actions" }).getByRole("button", { name: "Remove" }).click();
  const refuse = page.getByRole("dialog", { name: `Remove ${domain}` });
  await refuse.getByRole("button", { name: "Remove" }).click();
  await expect(page.getByRole("dialog", { name: `Remove ${domain}` }).getByRole("alert")).toBeVisible();

  await page.goto("/disks");
  await ready(page, info);
  await selectRow(page, info, "#disks-grid", disk);
  await page.getByRole("toolbar", { name: "Disk actions" }).getByRole("button", { name: "Remove" }).click();
  const removeDisk = page.getByRole("dialog", { name: `Remove ${disk}` });
  await removeDisk.getByRole("button", { name: "Remove" }).click();
  await expect(page).toHaveURL(/\/disks$/);
  await expect(page.locator("#disks-grid tbody tr", { hasText: disk })).toHaveCount(0);

  await page.goto("/storage-domains");
  await ready(page, info);
  await selectRow(page, info, "#storage-domains-grid", domain);
  await page.getByRole("toolbar", { name: "Storage domain actions" }).getByRole("button", { name: "Remove" }).click();
  const removeDomain = page.getByRole("dialog", { name: `Remove ${domain}` });
  await removeDomain.getByRole("button", { name: "Remove" }).click();
  await expect(page).toHaveURL(/\/storage-domains$/);
  await expect(page.locator("#storage-domains-grid tbody tr", { hasText: domain })).toHaveCount(0);
  if (!jsEnabled(info)) await expect(page.getByRole("dialog")).toHaveCount(0);
});

test("a free disk attached to a VM on its Disks sub-tab, edited, then detached", async ({ page }, info) => {
  const tag = `${info.project.name}-${suffix()}`;
  const vm = `att-${tag}`;
  const disk = `free-${tag}`;
  await login(page, info, "/disks?dialog=new");
  const create = page.getByRole("dialog", { name: "New Disk" });
  await create.getByLabel("Name").fill(disk);
  await create.getByLabel("Size (GiB)").fill("2");
  await pick(page, "Storage Domain", "default-pool");
  await create.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/disks\?selected=/);

  // A VM without a boot disk.
  await page.goto("/vms?dialog=new");
  await ready(page, info);
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name").fill(vm);
  await dialog.getByTestId("instance-images").getByLabel("Create boot disk").uncheck();
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);
  await page.getByRole("region", { name: `VM ${vm}` }).getByRole("tab", { name: "Disks" }).click();
  await ready(page, info);
  await expect(page.getByRole("region", { name: `VM ${vm}` })).toContainText("No disks attached.");

  await page.getByRole("toolbar", { name: "Disk attachment actions" }).getByRole("button", { name: "Attach" }).click();
  const attach = page.getByRole("dialog", { name: "Attach Disk" });
  await ready(page, info);
  await pick(page, "Disk", disk);
  await attach.getByLabel("Interface").selectOption("virtio_scsi");
  await attach.getByLabel("Bootable").check();
  await attach.getByRole("button", { name: "Attach" }).click();
  await expect(page.getByTestId("disk-outcome")).toBeVisible();
  const row = page.getByTestId("attached-disks").locator("tbody tr", { hasText: disk });
  await expect(row).toContainText("VirtIO-SCSI");
  await expect(row).toContainText("2 GiB");

  await row.getByRole("button", { name: `Edit ${disk}` }).click();
  const edit = page.getByRole("dialog", { name: `Edit ${disk}` });
  await ready(page, info);
  await edit.getByLabel("Interface").selectOption("virtio");
  await edit.getByLabel("Read only").check();
  await edit.getByRole("button", { name: "OK" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  const edited = page.getByTestId("attached-disks").locator("tbody tr", { hasText: disk });
  await expect(edited.locator("td").nth(2)).toHaveText("VirtIO");
  await expect(edited.locator("td").nth(4)).toHaveText("yes");

  await edited.getByRole("button", { name: `Detach ${disk}` }).click();
  await page.getByRole("dialog", { name: `Detach ${disk}` }).getByRole("button", { name: "Detach" }).click();
  await expect(page.getByRole("region", { name: `VM ${vm}` })).toContainText("No disks attached.");
  await page.goto(`/disks?q=${encodeURIComponent(disk)}`);
  await ready(page, info);
  await expect(page.locator("#disks-grid tbody tr", { hasText: disk })).not.toContainText(`VM ${vm}`);
});
