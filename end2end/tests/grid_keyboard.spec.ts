import { expect, Page, test } from "@playwright/test";
import { jsEnabled, login } from "./helpers";

// A zone away from UTC (and not a whole hour): the hover text must be the browser's local time.
test.use({ timezoneId: "Asia/Kolkata" });

// The seeded grid VMs (grid-00001…), 25 to a page, by name.
const GRID = "/vms?q=grid-000&sort=name&dir=asc&page=1&size=25";

function rows(page: Page) {
  return page.locator("#vms-grid tbody tr");
}

/** The row of VM `id`: by id, not by position, since VMs other specs create or change arrive by
 * live update while a test runs and may re-render or shift the rows. */
function row(page: Page, id: string) {
  return page.locator(`#vms-grid tbody tr[data-id="${id}"]`);
}

/** The ids of the rows shown, in order. */
async function rowIds(page: Page): Promise<string[]> {
  return rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-id") ?? ""));
}

/** The URL's `selected` row id. */
function selectedId(page: Page) {
  return new URL(page.url()).searchParams.get("selected");
}

test("a click on a row selects it; the name link still does without JavaScript", async ({ page }, info) => {
  await login(page, info, GRID);
  const ids = await rowIds(page);
  const [first, third, fifth] = [ids[0], ids[2], ids[4]];
  expect(third).toBeTruthy();
  await expect(row(page, third)).toHaveAttribute("aria-selected", "false");
  if (jsEnabled(info)) {
    // Anywhere on the row: here its Memory cell, which holds no link.
    await row(page, third).locator("td.num").first().click();
  } else {
    await row(page, third).getByRole("link", { name: /^grid-000/ }).click();
  }
  await expect(page).toHaveURL(new RegExp(`selected=${third}`));
  await expect(row(page, third)).toHaveAttribute("aria-selected", "true");
  await expect(row(page, third)).toHaveClass(/selected/);
  await expect(row(page, first)).toHaveAttribute("aria-selected", "false");
  if (jsEnabled(info)) {
    // The row's box is for bulk actions: ticking it does not move the selection.
    const before = page.url();
    const box = row(page, fifth).getByRole("checkbox");
    await box.click();
    await expect(box).toBeChecked();
    expect(page.url()).toBe(before);
  }
});

test("arrow keys move the selection, Enter opens Edit on it", async ({ page }, info) => {
  await login(page, info, GRID);
  const grid = page.getByRole("table", { name: "Virtual machines" });
  await expect(grid).toHaveAttribute("tabindex", "0");
  const ids = await rowIds(page);
  expect(ids.length).toBe(25);
  const edit = page.getByRole("dialog", { name: "Edit Virtual Machine" });
  if (!jsEnabled(info)) {
    // Without JavaScript: the name link selects, the toolbar's Edit opens the dialog on that row.
    await row(page, ids[1]).getByRole("link").first().click();
    await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Edit" }).click();
    await expect(edit).toBeVisible();
    await expect(page).toHaveURL(new RegExp(`dialog=edit&id=${ids[1]}`));
    return;
  }
  // Typing in the search box is not moving in the grid.
  const search = page.getByRole("searchbox", { name: "Search" });
  await search.focus();
  await page.keyboard.press("ArrowDown");
  expect(selectedId(page)).toBeNull();

  await grid.focus();
  await page.keyboard.press("ArrowDown");
  await expect(page).toHaveURL(new RegExp(`selected=${ids[0]}`));
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await expect(page).toHaveURL(new RegExp(`selected=${ids[2]}`));
  await expect(row(page, ids[2])).toHaveAttribute("aria-selected", "true");
  await expect(row(page, ids[2])).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(page).toHaveURL(new RegExp(`selected=${ids[1]}`));
  await expect(row(page, ids[1])).toBeFocused();
  // The grid keeps its other state (search, sort, page size).
  await expect(page).toHaveURL(/q=grid-000&sort=name&dir=asc&page=1&size=25/);

  // Space ticks (or unticks) the focused row's box (bulk actions) without moving the selection.
  const box = row(page, ids[1]).getByRole("checkbox");
  const was = await box.isChecked();
  await page.keyboard.press(" ");
  await expect(box).toBeChecked({ checked: !was });
  expect(selectedId(page)).toBe(ids[1]);

  // At the page's top edge the selection stays.
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  await expect(page).toHaveURL(new RegExp(`selected=${ids[0]}`));
  await expect(row(page, ids[0])).toBeFocused();

  // Enter opens Edit on the selected row: the dialog is that VM's (its id in the URL, its name).
  const name = (await row(page, ids[0]).getByRole("link").first().textContent()) ?? "";
  expect(name).toMatch(/^grid-000/);
  await page.keyboard.press("Enter");
  await expect(edit).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`dialog=edit&id=${ids[0]}`));
  await expect(edit.getByLabel("Name", { exact: true })).toHaveValue(name);
});

test("an event's time is local and relative, with the exact time on hover", async ({ page }, info) => {
  // Logging in writes an event: the newest row is a moment ago.
  await login(page, info, "/events");
  const time = page.locator("#events-grid tbody tr").first().locator("time");
  await expect(time).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const iso = (await time.getAttribute("datetime")) ?? "";
  if (jsEnabled(info)) {
    await expect(time).toHaveText(/^(just now|\d+ min ago)$/);
    // Asia/Kolkata is UTC+05:30: the hover text is that reading of the same moment.
    const local = new Date(Date.parse(iso) + 330 * 60_000).toISOString().slice(0, 19).replace("T", " ");
    await expect(time).toHaveAttribute("title", `${local} UTC+05:30`);
  } else {
    // Without JavaScript the server's UTC time stands, marked as UTC.
    const utc = `${iso.slice(0, 19).replace("T", " ")} UTC`;
    await expect(time).toHaveText(utc);
    await expect(time).toHaveAttribute("title", utc);
  }
});
