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
  // A simulated host in the local libvirtd: Vireo builds DAEMON_URI from this choice.
  await add.getByLabel("Transport").selectOption("simulated_libvirtd");
  await expect(add.getByLabel("libvirt URI Vireo will use")).toHaveText(DAEMON_URI);
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

test("a live update keeps what the user typed but has not sent", async ({ page }, info) => {
  await login(page, info, "/vms?q=grid-&size=25");
  const search = page.getByRole("searchbox", { name: "Search" });
  await search.fill("grid-0001 half typed");
  // Any write announces itself on the live stream; a refused login writes an event row.
  const refetched = page.waitForResponse((r) => r.url().includes("/api/vm_grid"));
  await page.evaluate(async () => {
    await fetch("/login", {
      method: "POST",
      body: new URLSearchParams({ username: "admin", password: "not-the-password" }),
      redirect: "manual",
    });
  });
  await refetched;
  await expect(page.locator("#vms-grid tbody tr")).toHaveCount(25);
  await expect(search).toHaveValue("grid-0001 half typed");
  await expect(page.getByRole("link", { name: "25 rows per page" })).toHaveAttribute("aria-current", "true");
});
