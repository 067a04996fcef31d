import { expect, test } from "@playwright/test";
import { login, newDataCenter } from "./helpers";

// Hydrated, a grid refetches its rows when something changes elsewhere (server-sent events). A dialog
// open on the selected row is drawn from that row; a refetch that brings the same row back must leave
// what the user has typed in it.

test("an open Edit dialog keeps what was typed while the grid refetches live", async ({ page, context }, info) => {
  const name = `dc-live-${Date.now() % 100000}`;
  await login(page, info, "/datacenters");
  await newDataCenter(page, info, name, "4.8", "as saved");
  await page.getByRole("toolbar", { name: "Data center actions" }).getByRole("button", { name: "Edit" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit Data Center" });
  await expect(dialog.getByLabel("Name")).toHaveValue(name);
  await dialog.getByLabel("Description").fill("typed, not saved");
  // Another tab of the same session adds a data center: this page's grid refetches and lists it.
  const other = await context.newPage();
  await newDataCenter(other, info, `${name}-other`, "4.8");
  await expect(page.locator("#datacenters-grid tbody tr", { hasText: `${name}-other` })).toHaveCount(1);
  // The dialog still holds what was typed.
  await expect(dialog.getByLabel("Name")).toHaveValue(name);
  await expect(dialog.getByLabel("Description")).toHaveValue("typed, not saved");
});
