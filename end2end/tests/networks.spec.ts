import { expect, Page, test, TestInfo } from "@playwright/test";
import { jsEnabled, login, ready } from "./helpers";

function suffix(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** Picks the select's first option whose text contains `text` (in the open dialog). */
async function pick(page: Page, label: string, text: string) {
  const select = page.getByRole("dialog").first().getByLabel(label, { exact: true });
  const value = await select.locator("option", { hasText: text }).first().getAttribute("value");
  expect(value, `${label}: an option with ${text}`).not.toBeNull();
  await select.selectOption(value!);
}

/** Selects the grid row named `name` (its link) and waits for the page. */
async function selectRow(page: Page, info: TestInfo, grid: string, name: string) {
  await page.locator(`${grid} tbody tr`, { hasText: name }).getByRole("link", { name, exact: true }).click();
  await expect(page).toHaveURL(/selected=/);
  await ready(page, info);
}

/** A new VM without a boot disk, through the New VM dialog; its page is left open. */
async function newVm(page: Page, info: TestInfo, name: string) {
  await page.goto("/vms?dialog=new");
  await ready(page, info);
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  await dialog.getByTestId("instance-images").getByLabel("Create boot disk").uncheck();
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);
}

/** Opens the selected VM's Network Interfaces sub-tab. */
async function nicsTab(page: Page, info: TestInfo, vm: string) {
  await page.getByRole("region", { name: `VM ${vm}` }).getByRole("tab", { name: "Network Interfaces" }).click();
  await expect(page).toHaveURL(/tab=nics/);
  await ready(page, info);
}

test("a new VM gets nic1 on default with a Vireo MAC: Network Interfaces sub-tab, Domain XML, runs", async ({
  page,
}, info) => {
  const name = `nic-${info.project.name}-${suffix()}`;
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  const nics = dialog.getByTestId("dialog-nics");
  await expect(nics).toContainText("Instantiate VM network interfaces by picking a vNIC profile");
  await expect(nics.getByLabel("nic1", { exact: true }).locator("option:checked")).toHaveText("default/default");
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  await dialog.getByTestId("instance-images").getByLabel("Create boot disk").uncheck();
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);

  await nicsTab(page, info, name);
  const row = page.getByTestId("vm-nics").locator("tbody tr", { hasText: "nic1" });
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute("data-mac", /^56:6f:/);
  await expect(row).toContainText("default");
  await expect(row).toContainText("VirtIO");
  await expect(row).toContainText("Up");
  await expect(row).toContainText("Plugged");
  const mac = (await row.getAttribute("data-mac"))!;

  await page.getByRole("region", { name: `VM ${name}` }).getByRole("tab", { name: "Domain XML" }).click();
  const xml = page.getByTestId("domain-xml");
  await expect(xml).toContainText("<interface");
  await expect(xml).toContainText(mac);

  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveAttribute("data-status", "up");

  // The grid's IP Addresses column: libvirt's test driver answers an address per NIC.
  await page.goto(`/vms?q=${encodeURIComponent(name)}`);
  await ready(page, info);
  await expect(async () => {
    await page.reload();
    await ready(page, info);
    await expect(page.locator("#vms-grid tbody tr", { hasText: name }).locator('[data-col="ip-addresses"]')).toContainText(
      /\d+\.\d+\.\d+\.\d+/,
      { timeout: 2_000 },
    );
  }).toPass({ timeout: 30_000 });
});

test("the Networks grid lists default; a network and a profile are made; a NIC on it blocks removal, naming the VM", async ({
  page,
}, info) => {
  const tag = `${info.project.name}-${suffix()}`;
  const net = `net-${tag}`;
  const profile = `prof-${tag}`;
  const vm = `netvm-${tag}`;
  await login(page, info, "/networks");
  // Every cluster has its default network; the Default cluster's is present on the test host.
  await page.goto("/networks?q=cluster:Default");
  await ready(page, info);
  const defaultRow = page
    .locator("#networks-grid tbody tr", { hasText: "libvirt network default" })
    .filter({ hasText: "default-host" });
  await expect(defaultRow).toHaveCount(1);
  await expect(defaultRow).toHaveAttribute("data-default", "true");
  await expect(defaultRow).toHaveAttribute("data-missing", "0");

  // A network: nothing backs it on the host yet, so the grid says where it is missing.
  await page.getByRole("toolbar", { name: "Network actions" }).getByRole("button", { name: "New" }).click();
  const add = page.getByRole("dialog", { name: "New Network" });
  await expect(add).toBeVisible();
  await ready(page, info);
  await add.getByLabel("Name", { exact: true }).fill(net);
  await add.getByLabel("Description").fill("e2e network");
  await add.getByLabel("Backing type").selectOption("libvirt_network");
  await add.getByLabel("VLAN tag").fill("abc");
  await add.getByRole("button", { name: "OK" }).click();
  // Wait for the refusal itself: a second OK sent while the first is in flight races it.
  await expect(page.getByRole("dialog", { name: "New Network" }).locator(".field-error")).toContainText(
    "between 1 and 4094",
  );
  const again = page.getByRole("dialog", { name: "New Network" });
  await again.getByLabel("Name", { exact: true }).fill(net);
  await again.getByLabel("VLAN tag").fill("42");
  await again.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/networks\?selected=/);
  await ready(page, info);
  const netRow = page.locator("#networks-grid tbody tr", { hasText: net });
  await expect(netRow).toContainText(`libvirt network ${net}`);
  await expect(netRow).toContainText("42");
  await expect(netRow).not.toHaveAttribute("data-missing", "0");

  // A second profile on it, with a filter and multiqueue; then edited.
  await page.goto("/vnic-profiles?dialog=new");
  await ready(page, info);
  const newProfile = page.getByRole("dialog", { name: "New vNIC Profile" });
  await newProfile.getByLabel("Name", { exact: true }).fill(profile);
  await pick(page, "Network", net);
  await newProfile.getByLabel("Network filter").selectOption("clean-traffic");
  await newProfile.getByLabel("Multiqueue").check();
  await newProfile.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vnic-profiles\?selected=/);
  await ready(page, info);
  const profileRow = page.locator("#vnic-profiles-grid tbody tr", { hasText: profile });
  await expect(profileRow).toContainText(net);
  await expect(profileRow).toContainText("clean-traffic");
  await expect(profileRow).toHaveAttribute("data-multiqueue", "true");
  await page.getByRole("toolbar", { name: "vNIC profile actions" }).getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: `Edit ${profile}` });
  await ready(page, info);
  await edit.getByLabel("Multiqueue").uncheck();
  await edit.getByRole("button", { name: "OK" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.locator("#vnic-profiles-grid tbody tr", { hasText: profile })).toHaveAttribute(
    "data-multiqueue",
    "false",
  );

  // A VM with a second NIC on that profile.
  await newVm(page, info, vm);
  await nicsTab(page, info, vm);
  await page.getByRole("toolbar", { name: "Network interface actions" }).getByRole("button", { name: "New" }).click();
  const nicDialog = page.getByRole("dialog", { name: "New Network Interface" });
  await ready(page, info);
  await expect(nicDialog.getByLabel("Name", { exact: true })).toHaveValue("nic2");
  await pick(page, "Profile", `${net}/${profile}`);
  await nicDialog.getByLabel("Type").selectOption("e1000e");
  await nicDialog.getByRole("button", { name: "OK" }).click();
  await expect(page.getByTestId("nic-outcome")).toBeVisible();
  const nic2 = page.getByTestId("vm-nics").locator("tbody tr", { hasText: "nic2" });
  await expect(nic2).toContainText(profile);
  await expect(nic2).toContainText("e1000e");
  await expect(nic2).toHaveAttribute("data-mac", /^56:6f:/);

  // Edit: the link goes down.
  await nic2.getByRole("button", { name: "Edit nic2" }).click();
  const editNic = page.getByRole("dialog", { name: "Edit nic2" });
  await ready(page, info);
  await editNic.getByLabel("Down").check();
  await editNic.getByRole("button", { name: "OK" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.getByTestId("vm-nics").locator("tbody tr", { hasText: "nic2" })).toHaveAttribute(
    "data-linked",
    "false",
  );

  // The network is in use: removal is refused, and the answer names the VM.
  await page.goto(`/networks?q=${encodeURIComponent(net)}`);
  await ready(page, info);
  await selectRow(page, info, "#networks-grid", net);
  await page.getByRole("toolbar", { name: "Network actions" }).getByRole("button", { name: "Remove" }).click();
  const refuse = page.getByRole("dialog", { name: `Remove ${net}` });
  await refuse.getByRole("button", { name: "Remove" }).click();
  await expect(page.getByRole("dialog", { name: `Remove ${net}` }).getByRole("alert")).toContainText(vm);

  // Remove the NIC, then the network goes (with its profiles).
  await page.goto(`/vms?q=${encodeURIComponent(vm)}`);
  await ready(page, info);
  await selectRow(page, info, "#vms-grid", vm);
  await nicsTab(page, info, vm);
  await page
    .getByTestId("vm-nics")
    .locator("tbody tr", { hasText: "nic2" })
    .getByRole("button", { name: "Remove nic2" })
    .click();
  await page.getByRole("dialog", { name: "Remove nic2" }).getByRole("button", { name: "Remove" }).click();
  await expect(page.getByTestId("nic-outcome")).toBeVisible();
  await expect(page.getByTestId("vm-nics").locator("tbody tr", { hasText: "nic2" })).toHaveCount(0);
  await expect(page.getByTestId("vm-nics").locator("tbody tr", { hasText: "nic1" })).toHaveCount(1);

  await page.goto(`/networks?q=${encodeURIComponent(net)}`);
  await ready(page, info);
  await selectRow(page, info, "#networks-grid", net);
  await page.getByRole("toolbar", { name: "Network actions" }).getByRole("button", { name: "Remove" }).click();
  await page.getByRole("dialog", { name: `Remove ${net}` }).getByRole("button", { name: "Remove" }).click();
  await expect(page).toHaveURL(/\/networks$/);
  await expect(page.locator("#networks-grid tbody tr", { hasText: net })).toHaveCount(0);
  await page.goto(`/vnic-profiles?q=${encodeURIComponent(profile)}`);
  await ready(page, info);
  await expect(page.locator("#vnic-profiles-grid tbody tr", { hasText: profile })).toHaveCount(0);
  if (!jsEnabled(info)) await expect(page.getByRole("dialog")).toHaveCount(0);
});

test("the New VM dialog adds and removes NICs, and Templates have a Network Interfaces sub-tab", async ({ page }, info) => {
  const name = `nics2-${info.project.name}-${suffix()}`;
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  const nics = dialog.getByTestId("dialog-nics");
  await nics.getByRole("button", { name: "Add a network interface after nic1" }).click();
  await ready(page, info);
  const after = page.getByRole("dialog", { name: "New Virtual Machine" }).getByTestId("dialog-nics");
  await expect(after.getByLabel("nic2", { exact: true })).toBeVisible();
  await after.getByLabel("nic2", { exact: true }).selectOption({ label: "<Empty>" });
  await after.getByRole("button", { name: "Remove nic1" }).click();
  await ready(page, info);
  const left = page.getByRole("dialog", { name: "New Virtual Machine" });
  await expect(left.getByTestId("dialog-nics").getByLabel("nic1", { exact: true })).toHaveCount(0);
  await left.getByTestId("instance-images").getByLabel("Create boot disk").uncheck();
  // Without JavaScript every tab's fields are on the page at once.
  if (jsEnabled(info)) await left.getByRole("tab", { name: "Resource Allocation" }).click();
  await left.getByLabel("Multi Queues Enabled").check();
  await left.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);
  await nicsTab(page, info, name);
  const rows = page.getByTestId("vm-nics").locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-name", "nic2");
  await expect(rows.first()).toContainText("<Empty>");

  await page.goto("/templates");
  await ready(page, info);
  const first = page.locator("#templates-grid tbody tr").first().getByRole("link").first();
  await first.click();
  await ready(page, info);
  await page.getByRole("tablist", { name: "Template details" }).getByRole("tab", { name: "Network Interfaces" }).click();
  await expect(page).toHaveURL(/tab=nics/);
  await ready(page, info);
  await expect(
    page.getByRole("tablist", { name: "Template details" }).getByRole("tab", { name: "Network Interfaces" }),
  ).toHaveAttribute("aria-selected", "true");
});
