import { expect, test } from "@playwright/test";
import { login } from "./helpers";

// Hydrated, the Dashboard follows changes without a reload, as the grids do (server-sent events).

test("a VM created elsewhere shows in the Dashboard's counts without a reload", async ({ page, context }, info) => {
  await login(page, info, "/");
  const cell = page.locator('#vms-by-type tr[data-key="desktop"] a');
  const before = Number(await cell.textContent());
  // Another tab of the same session creates a Desktop VM.
  const other = await context.newPage();
  await other.goto("/vms?dialog=new");
  await expect(other.locator("#vireo-root")).toHaveAttribute("data-hydrated", "true");
  const dialog = other.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name").fill(`dash-live-${Date.now() % 100000}`);
  await dialog.getByLabel("Optimized for").selectOption({ label: "Desktop" });
  await other.getByRole("button", { name: "OK" }).click();
  await expect(other).toHaveURL(/\/vms\?selected=/);
  await expect(cell).toHaveText(String(before + 1));
});
