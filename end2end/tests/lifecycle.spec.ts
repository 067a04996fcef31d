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

  const detail = page.getByRole("region", { name: `VM ${name}` });
  await expect(detail.getByTestId("vm-status")).toHaveText("down");
  await detail.getByRole("button", { name: "Run" }).click();
  await expect(detail.getByTestId("vm-status")).toHaveText("up");
  await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveAttribute("data-status", "up");

  await detail.getByRole("tab", { name: "Domain XML" }).click();
  const xml = page.getByTestId("domain-xml");
  await expect(xml).toContainText(`<name>${name}</name>`);
  await expect(xml).toContainText("&lt;b&gt;&quot;quoted&quot; &amp; escaped&lt;/b&gt;");
  await expect(xml).toContainText('<graphics type="vnc"');

  await page.getByRole("region", { name: `VM ${name}` }).getByRole("button", { name: "Power Off" }).click();
  const confirm = page.getByRole("dialog", { name: "Power Off Virtual Machine" });
  await expect(confirm).toContainText("unsaved data in it is lost");
  await confirm.getByRole("button", { name: "Power Off" }).click();
  await expect(page.getByRole("region", { name: `VM ${name}` }).getByTestId("vm-status")).toHaveText("down");

  await page.getByRole("region", { name: `VM ${name}` }).getByRole("button", { name: "Remove" }).click();
  const remove = page.getByRole("dialog", { name: "Remove Virtual Machine" });
  await remove.getByRole("button", { name: "Remove" }).click();
  await expect(page).toHaveURL(/\/vms$/);
  await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveCount(0);
});
