import { expect, Page, test } from "@playwright/test";
import { chunkPattern, chunkRequests, login, ready } from "./helpers";

// The selected VM's, Template's or host's details are a wasm chunk of their own
// (components/object_detail.rs), with the Disks and Network Interfaces sub-tabs' dialogs: a grid
// page hydrates without it and fetches it once interactive;
// a page that arrives with a row selected fetches it before hydrating; a failed download is an
// error in place of the details that the next selection retries. (That the first load leaves it
// out is what `make bench-bundle` measures.)

const chunk = chunkPattern("vireo_object_detail");

const grid = (page: Page) => page.getByRole("table", { name: "Virtual machines" });

test("the details' code is fetched once, after the page is interactive, and every row reuses it", async ({
  page,
}, info) => {
  const requests = chunkRequests(page, chunk);
  await login(page, info, "/vms?q=grid-0000");
  await expect.poll(() => requests.length, { message: "fetched after hydrating" }).toBe(1);

  const links = grid(page).locator("tbody tr").getByRole("link");
  const first = (await links.nth(0).textContent()) ?? "";
  const second = (await links.nth(1).textContent()) ?? "";
  await links.nth(0).click();
  const details = page.getByRole("region", { name: `VM ${first}` });
  await expect(details.getByTestId("general")).toBeVisible();
  // The sub-tabs run in the browser: Disks replaces General in place.
  await details.getByRole("tab", { name: "Disks" }).click();
  await expect(details.getByRole("tab", { name: "Disks" })).toHaveAttribute("aria-selected", "true");
  await expect(details.getByTestId("general")).toHaveCount(0);

  await links.nth(1).click();
  await expect(page.getByRole("region", { name: `VM ${second}` })).toBeVisible();
  expect(requests, "every row's details reuse the chunk").toHaveLength(1);
});

test("a page that arrives with a row selected fetches the details before hydrating, and works", async ({
  page,
}, info) => {
  const requests = chunkRequests(page, chunk);
  await login(page, info, "/vms?q=grid-00001");
  const row = grid(page).locator("tbody tr").first();
  const id = await row.getAttribute("data-id");
  const name = (await row.getByRole("link").textContent()) ?? "";
  expect(id).toBeTruthy();
  await expect.poll(() => requests.length).toBe(1);

  await page.goto(`/vms?q=grid-00001&selected=${id}&tab=disks`);
  await ready(page, info);
  expect(requests, "fetched before hydrating, not again after").toHaveLength(2);
  const details = page.getByRole("region", { name: `VM ${name}` });
  await expect(details).toHaveCount(1);
  await details.getByRole("tab", { name: "General" }).click();
  await expect(details.getByTestId("general")).toBeVisible();
  await expect(details.getByRole("tab", { name: "General" })).toHaveAttribute("aria-selected", "true");
});

test("a page that arrives with a sub-tab's dialog open fetches the details' chunk before hydrating, and the dialog works", async ({
  page,
}, info) => {
  const requests = chunkRequests(page, chunk);
  await login(page, info, "/vms?q=grid-00001");
  const id = await grid(page).locator("tbody tr").first().getAttribute("data-id");
  expect(id).toBeTruthy();
  await expect.poll(() => requests.length).toBe(1);

  await page.goto(`/vms?q=grid-00001&selected=${id}&tab=nics&nic_dialog=new`);
  await ready(page, info);
  expect(requests, "fetched before hydrating, not again after").toHaveLength(2);
  // Hydrated: the dialog's form holds what is typed, and Cancel closes it in the browser.
  const dialog = page.getByRole("dialog", { name: "New Network Interface" });
  await dialog.getByLabel("Name", { exact: true }).fill("typed-in-the-browser");
  await expect(dialog.getByLabel("Name", { exact: true })).toHaveValue("typed-in-the-browser");
  await dialog.getByRole("link", { name: "Cancel" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page).toHaveURL(/tab=nics/);
  await expect(page).not.toHaveURL(/nic_dialog/);
  // Opened again from the sub-tab, without a download.
  await page.getByRole("toolbar", { name: "Network interface actions" }).getByRole("button", { name: "New" }).click();
  await expect(page.getByRole("dialog", { name: "New Network Interface" })).toBeVisible();
  expect(requests).toHaveLength(2);
});

test("details whose code does not download are an error in their place, and the next selection tries again", async ({
  page,
}, info) => {
  // Blocked from the start: the fetch after hydrating fails too, silently.
  await page.route(chunk, (route) => route.abort("connectionfailed"));
  await login(page, info, "/vms?q=grid-0000");
  const links = grid(page).locator("tbody tr").getByRole("link");
  await links.nth(0).click();
  const failed = page.getByRole("region", { name: "Details" });
  await expect(failed.getByRole("alert")).toContainText("could not download this part of Vireo");
  // The page is still alive: the grid answers.
  await expect(grid(page).locator('tbody tr[aria-selected="true"]')).toHaveCount(1);

  await page.unroute(chunk);
  const name = (await links.nth(1).textContent()) ?? "";
  await links.nth(1).click();
  const details = page.getByRole("region", { name: `VM ${name}` });
  await expect(details.getByTestId("general")).toBeVisible();
});
