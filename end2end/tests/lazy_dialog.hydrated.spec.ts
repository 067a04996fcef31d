import { expect, test } from "@playwright/test";
import { chunkPattern, chunkRequests, login, ready } from "./helpers";

// The New/Edit dialog's form is a wasm chunk of its own (scripts/build.sh splits the bundle): a grid
// page hydrates without it and fetches it once interactive, every dialog after that reuses it, and a
// failed download is an error in the dialog that the next open retries. (That the first load leaves
// it out is what `make bench-bundle` measures.)

const chunk = chunkPattern("vireo_dialog_form");

test("the dialog's code is fetched once, after the page is interactive", async ({ page }, info) => {
  const requests = chunkRequests(page, chunk);
  await login(page, info, "/vms");
  await expect.poll(() => requests.length, { message: "fetched after hydrating" }).toBe(1);

  const toolbar = page.getByRole("toolbar", { name: "VM actions" });
  await toolbar.getByRole("button", { name: "New" }).click();
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await expect(dialog).toBeVisible();
  // The form runs in the browser: a tab switches without a round trip.
  await dialog.getByRole("tablist", { name: "Dialog sections" }).getByRole("tab", { name: "Host" }).click();
  await expect(dialog.getByRole("tab", { name: "Host" })).toHaveAttribute("aria-selected", "true");

  await dialog.getByRole("link", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
  await toolbar.getByRole("button", { name: "New" }).click();
  await expect(dialog).toBeVisible();
  expect(requests, "every dialog reuses the chunk").toHaveLength(1);
});

test("a page that arrives with the dialog open fetches it before hydrating, and works", async ({ page }, info) => {
  const requests = chunkRequests(page, chunk);
  // Logged in on a page without the dialog, which fetches nothing.
  await login(page, info, "/datacenters");
  await page.goto("/vms?dialog=new");
  await ready(page, info);
  expect(requests, "fetched before hydrating, not again after").toHaveLength(1);
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await expect(dialog).toHaveCount(1);
  await dialog.getByLabel("Name").fill("lazy-dialog-landing");
  await dialog.getByRole("tablist", { name: "Dialog sections" }).getByRole("tab", { name: "Host" }).click();
  await expect(dialog.getByRole("tab", { name: "Host" })).toHaveAttribute("aria-selected", "true");
  await dialog.getByRole("tablist", { name: "Dialog sections" }).getByRole("tab", { name: "General" }).click();
  await expect(dialog.getByLabel("Name")).toHaveValue("lazy-dialog-landing");
});

test("a chunk that does not download is an error in the dialog, and the next open tries again", async ({
  page,
}, info) => {
  // Blocked from the start: the fetch after hydrating fails too, silently.
  await page.route(chunk, (route) => route.abort("connectionfailed"));
  await login(page, info, "/vms");
  const toolbar = page.getByRole("toolbar", { name: "VM actions" });
  await toolbar.getByRole("button", { name: "New" }).click();
  const failed = page.getByRole("dialog", { name: "Cannot open the dialog" });
  await expect(failed).toBeVisible();
  await expect(failed).toContainText("could not download this part of Vireo");
  // The page is still alive: the error closes like any dialog.
  await failed.getByRole("link", { name: "Close" }).click();
  await expect(failed).toBeHidden();

  await page.unroute(chunk);
  await toolbar.getByRole("button", { name: "New" }).click();
  await expect(page.getByRole("dialog", { name: "New Virtual Machine" })).toBeVisible();
});
