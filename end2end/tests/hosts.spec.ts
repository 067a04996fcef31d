import { expect, test } from "@playwright/test";
import { login } from "./helpers";

test("an unreachable libvirt URI gives a clear error and stores nothing", async ({ page }, info) => {
  await login(page, info, "/hosts");
  await page.getByRole("button", { name: "Add host" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Host" });
  await expect(dialog).toBeVisible();
  const name = `gone-${info.project.name}`;
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("libvirt URI").fill("qemu+unix:///system?socket=/nonexistent/libvirt-sock");
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page.getByRole("alert")).toContainText("Could not connect to qemu+unix:///system");
  await page.goto("/hosts");
  await expect(page.locator("#hosts-grid")).not.toContainText(name);
  await page.goto("/events");
  await expect(page.locator("#events-grid tbody tr").first()).toContainText("Could not connect");
});

test("adding a test-driver host with the small topology", async ({ page }, info) => {
  await login(page, info, "/hosts");
  await page.getByRole("button", { name: "Add host" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Host" });
  const name = `small-${info.project.name}`;
  await dialog.getByLabel("Name").fill(name);
  // Each project adds its own host; the URI must be unique, so use the test driver's file form.
  await dialog.getByLabel("libvirt URI").fill(`test:///default?${name}`);
  await dialog.getByLabel("Simulated topology").selectOption("small-1s4c");
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/hosts\?selected=/);
  await expect(page.getByRole("dialog")).toHaveCount(0);
  const detail = page.getByRole("region", { name: `Host ${name}` });
  await expect(detail.getByTestId("sockets")).toHaveText("1");
  await expect(detail.getByTestId("cores")).toHaveText("4");
  await expect(detail.getByTestId("threads")).toHaveText("1");
  await expect(detail.getByTestId("invtsc")).toHaveText("no");
});
