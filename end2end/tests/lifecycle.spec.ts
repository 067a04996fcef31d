import { expect, test } from "@playwright/test";
import { login, ready } from "./helpers";

test("run a VM, read its domain XML, power it off after confirming, remove it", async ({ page }, info) => {
  const name = `life-${info.project.name}`;
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Description").fill(`<b>"quoted" & escaped</b>`);
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);

  const row = page.locator("#vms-grid tbody tr", { hasText: name });
  const toolbar = page.getByRole("toolbar", { name: "VM actions" });
  const detail = page.getByRole("region", { name: `VM ${name}` });
  await expect(row).toHaveAttribute("data-status", "down");
  await expect(row.getByRole("checkbox")).toBeChecked();
  await toolbar.getByRole("button", { name: "Run" }).click();
  await expect(row).toHaveAttribute("data-status", "up");
  await expect(detail.locator('[data-fact="status"]')).toHaveText("up");

  await detail.getByRole("tab", { name: "Domain XML" }).click();
  const xml = page.getByTestId("domain-xml");
  await expect(xml).toContainText(`<name>${name}</name>`);
  await expect(xml).toContainText("&lt;b&gt;&quot;quoted&quot; &amp; escaped&lt;/b&gt;");
  await expect(xml).toContainText('<graphics type="vnc"');

  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Power Off" }).click();
  const confirm = page.getByRole("dialog", { name: "Power Off Virtual Machines" });
  await expect(confirm).toContainText("unsaved data in them is lost");
  await confirm.getByRole("button", { name: "Power Off" }).click();
  await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveAttribute("data-status", "down");

  await page.locator("#vms-grid tbody tr", { hasText: name }).getByRole("checkbox").check();
  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Remove" }).click();
  const remove = page.getByRole("dialog", { name: "Remove Virtual Machines" });
  await expect(remove).toContainText(name);
  await remove.getByRole("button", { name: "Remove" }).click();
  await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveCount(0);
});
