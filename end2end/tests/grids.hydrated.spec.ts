import { expect, test } from "@playwright/test";
import { execFileSync } from "child_process";
import { login, ready } from "./helpers";

// A host driven through libvirtd's test driver: virsh can change its domains from outside Vireo.
const DAEMON_URI = "test+unix:///default";

test("a status change made directly through libvirt shows up without a reload", async ({ page }, info) => {
  const host = "daemon-host";
  const vm = "outside-change";
  await login(page, info, "/hosts?dialog=add");
  const add = page.getByRole("dialog", { name: "Add Host" });
  await add.getByLabel("Name").fill(host);
  await add.getByLabel("libvirt URI").fill(DAEMON_URI);
  await add.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/hosts\?selected=/);

  await page.goto("/vms?dialog=new");
  await ready(page, info);
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name").fill(vm);
  await dialog.getByRole("tab", { name: "Host" }).click();
  await dialog.getByLabel("Start Running On").selectOption({ label: `Specific host: ${host}` });
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);
  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Run" }).click();
  const row = page.locator("#vms-grid tbody tr", { hasText: vm });
  await expect(row).toHaveAttribute("data-status", "up");
  await expect(row).toContainText(host);

  // Mark the page: a reload would lose this.
  await page.evaluate(() => ((window as unknown as { vireoMark: number }).vireoMark = 42));
  execFileSync("virsh", ["-c", DAEMON_URI, "destroy", vm]);
  await expect(row).toHaveAttribute("data-status", "down", { timeout: 5_000 });
  expect(await page.evaluate(() => (window as unknown as { vireoMark?: number }).vireoMark)).toBe(42);
  execFileSync("virsh", ["-c", DAEMON_URI, "undefine", vm]);
});
