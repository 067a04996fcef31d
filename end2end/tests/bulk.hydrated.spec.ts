import { expect, Page, test, TestInfo } from "@playwright/test";
import { chunkPattern, login } from "./helpers";

// The VM grid's bulk operations, their confirmation and the toasts that report failures are in the
// details' wasm chunk (pages/vms/bulk.rs, components/toasts.rs), fetched once the page is
// interactive: the first load leaves them out (`make bench-bundle`). Hydrated, a failed call is a
// toast with the server's words a click away; an operation whose code does not download says so.

const chunk = chunkPattern("vireo_object_detail");

/** Ticks the first row of the grid searched for `q` and returns the VM's name. */
async function tickFirst(page: Page, info: TestInfo, q: string): Promise<string> {
  await login(page, info, `/vms?q=${q}`);
  const row = page.locator("#vms-grid tbody tr").first();
  const name = ((await row.getByRole("link").textContent()) ?? "").trim();
  await row.getByRole("checkbox", { name: `Select ${name}` }).check();
  return name;
}

test("a failed operation is a toast with the details, which Dismiss removes", async ({ page }, info) => {
  const name = await tickFirst(page, info, "grid-00002");
  // The server refuses every lifecycle call from now on.
  await page.route("**/api/vm_action**", (route) =>
    route.fulfill({ status: 502, contentType: "text/plain", body: "refused by the test" }),
  );
  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Run" }).click();
  const toast = page.locator(".toasts").getByRole("alert");
  await expect(toast).toContainText(`Run VM ${name} failed.`);
  await toast.getByText("Details").click();
  await expect(toast.locator("details p")).toBeVisible();
  // The row says it failed too.
  await expect(page.locator("#vms-grid tbody tr").first()).toContainText("Failed");
  await toast.getByRole("button", { name: "Dismiss" }).click();
  await expect(page.locator(".toasts").getByRole("alert")).toHaveCount(0);
});

test("an operation whose code does not download says so, and nothing is sent", async ({ page }, info) => {
  // Blocked from the start: the fetch after hydrating fails too, silently.
  await page.route(chunk, (route) => route.abort("connectionfailed"));
  const calls: string[] = [];
  page.on("request", (r) => {
    if (/\/api\/(vm_action|remove_vm)/.test(r.url())) calls.push(r.url());
  });
  await tickFirst(page, info, "grid-00003");
  const toolbar = page.getByRole("toolbar", { name: "VM actions" });
  await toolbar.getByRole("button", { name: "Run" }).click();
  await expect(page.locator(".toasts").getByRole("alert")).toContainText("could not download this part of Vireo");
  // Remove asks first; the question cannot be drawn either, and Close drops it.
  await toolbar.getByRole("button", { name: "Remove" }).click();
  const failed = page.getByRole("dialog", { name: "Cannot open the dialog" });
  await expect(failed).toContainText("could not download this part of Vireo");
  await failed.getByRole("link", { name: "Close" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  expect(calls).toEqual([]);
});
