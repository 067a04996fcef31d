import { expect, test } from "@playwright/test";
import { jsEnabled, login, ready } from "./helpers";

// Issue 19: the "Real-time" option of High Performance VMs (Resource Allocation) with its vCPU
// mask; the rules' errors show on the mask field, and a valid real-time VM gets recommendation R8.
test("real-time vCPUs: HP only, the mask's field errors, and R8 in the review", async ({ page }, info) => {
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await expect(dialog).toBeVisible();
  await ready(page, info);
  await dialog.getByLabel("Name").fill(`rt-${info.project.name}`);
  await dialog.getByLabel("Operating System").selectOption({ label: "Red Hat Enterprise Linux 9.x x64" });
  await dialog.getByLabel("Total Virtual CPUs").fill("4");
  // A Server VM has no real-time option.
  if (jsEnabled(info)) await dialog.getByRole("tab", { name: "Resource Allocation" }).click();
  await expect(dialog.getByLabel("Real-time", { exact: true })).toHaveCount(0);
  if (jsEnabled(info)) await dialog.getByRole("tab", { name: "General" }).click();

  await dialog.getByLabel("Optimized for").selectOption({ label: "High Performance" });
  if (!jsEnabled(info)) {
    await page.getByRole("button", { name: "Update" }).click();
    await ready(page, info);
  } else {
    await dialog.getByRole("tab", { name: "Resource Allocation" }).click();
  }
  const realtime = dialog.getByLabel("Real-time", { exact: true });
  const mask = dialog.getByLabel("Real-time vCPU Mask");
  await expect(realtime).not.toBeChecked();
  await realtime.check();
  if (jsEnabled(info)) {
    // Ticking proposes every vCPU but vCPU 0.
    await expect(mask).toHaveValue("1-3");
  }
  // Every vCPU in the mask: the housekeeping rule's error, on the mask's field and its tab.
  await mask.fill("0-3");
  await page.getByRole("button", { name: "OK" }).click();
  const field = dialog.locator('.field[data-field="realtime_vcpus"]');
  await expect(field.locator(".field-error")).toContainText("Leave at least one vCPU out of the real-time mask");
  await expect(dialog.getByRole("tab", { name: /Resource Allocation/ })).toHaveAttribute("data-has-errors", "true");

  // A mask with a housekeeping vCPU: the review lists R8 with its fix. The profile gave this VM
  // dedicated CPUs at each start (no host is pinned), so only huge pages are missing.
  if (jsEnabled(info)) await dialog.getByRole("tab", { name: "Resource Allocation" }).click();
  await expect(realtime).toBeChecked();
  await mask.fill("1-3");
  await page.getByRole("button", { name: "OK" }).click();
  const review = page.getByRole("dialog", { name: "High Performance Virtual Machine Settings" });
  await expect(review).toBeVisible();
  const r8 = review.locator('li[data-recommendation="R8"]');
  await expect(r8).toContainText("Real-time vCPUs 1-3 need huge pages");
  await expect(r8).not.toContainText("pinned vCPUs");
  await expect(review.getByRole("button", { name: "Apply fix: Real-time vCPUs" })).toBeVisible();
});
