import { expect, test } from "@playwright/test";
import { jsEnabled, login, ready } from "./helpers";

// The server starts with 120 seeded VMs named grid-00001 … grid-00120 (a fixed mix: see
// server/src/service/seed.rs) and three pools grid-pool-a/b/c.

test("search, sort and page through the seeded VMs; the URL reproduces the view", async ({ page }, info) => {
  await login(page, info, "/vms");
  await page.getByRole("searchbox", { name: "Search" }).fill("grid-");
  await page.getByRole("button", { name: "Search" }).click();
  await ready(page, info);
  await expect(page.getByTestId("grid-total")).toHaveText("1–50 of 120 virtual machines");

  await page.getByRole("group", { name: "Rows per page" }).getByRole("link", { name: "25 rows per page" }).click();
  await expect(page).toHaveURL(/size=25/);
  await expect(page.getByRole("link", { name: "25 rows per page" })).toHaveAttribute("aria-current", "true");
  await expect(page.getByTestId("grid-total")).toHaveText("1–25 of 120 virtual machines");
  await expect(page.locator("#vms-grid tbody tr").first()).toContainText("grid-00001");

  await page.getByRole("link", { name: "Next page" }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByTestId("grid-page")).toHaveText("Page 2 of 5");
  await expect(page.locator("#vms-grid tbody tr").first()).toContainText("grid-00026");

  // A link reproduces the view.
  const url = page.url();
  await page.goto("/hosts");
  await page.goto(url);
  await ready(page, info);
  await expect(page.getByTestId("grid-page")).toHaveText("Page 2 of 5");
  await expect(page.locator("#vms-grid tbody tr").first()).toContainText("grid-00026");
  await page.getByRole("link", { name: "Last page" }).click();
  await expect(page.getByTestId("grid-total")).toHaveText("101–120 of 120 virtual machines");

  // Filter by type, sort by memory, largest first (ties by name).
  await page.goto("/vms?q=grid-%20type%3Ahigh_performance");
  await ready(page, info);
  await expect(page.getByTestId("grid-total")).toHaveText("1–24 of 24 virtual machines");
  await page.locator('#vms-grid th[data-sort="memory"] a').click();
  await expect(page).toHaveURL(/sort=memory&dir=asc/);
  await page.locator('#vms-grid th[data-sort="memory"] a').click();
  await expect(page).toHaveURL(/sort=memory&dir=desc/);
  await expect(page.locator('#vms-grid th[data-sort="memory"]')).toHaveAttribute("aria-sort", "descending");
  const first = page.locator("#vms-grid tbody tr").first();
  await expect(first).toContainText("grid-00019");
  await expect(first).toContainText("8192 MiB");
  await expect(page.locator("#vms-grid tbody tr[data-type='high_performance']")).toHaveCount(24);

  // A bad term says what is wrong.
  await page.goto("/vms?q=colour%3Ared");
  await ready(page, info);
  await expect(page.getByTestId("search-error")).toContainText("Unknown search field 'colour'");
});

const modes: [string, string][] = [
  ["grid-00001", "Server"],
  ["grid-00014", "Stateless Server"],
  ["grid-00011", "Server with newer configuration for next run"],
  ["grid-00013", "Server (Pool)"],
  ["grid-00006", "Desktop"],
  ["grid-00007", "Stateless Desktop"],
  ["grid-00066", "Desktop with newer configuration for next run"],
  ["grid-00026", "Desktop (Pool)"],
  ["grid-00008", "High Performance"],
  ["grid-00028", "Stateless High Performance"],
  ["grid-00088", "High Performance with newer configuration for next run"],
  ["grid-00039", "High Performance (Pool)"],
];

test("every type icon mode is drawn with its tooltip, on VMs, Templates and Pools", async ({ page }, info) => {
  await login(page, info, "/vms");
  for (const [name, label] of modes) {
    await page.goto(`/vms?q=${name}`);
    const row = page.locator("#vms-grid tbody tr", { hasText: name });
    const icon = row.getByRole("img", { name: label, exact: true });
    await expect(icon).toBeVisible();
    await expect(icon).toHaveAttribute("title", label);
  }
  await page.goto("/pools?q=grid-pool");
  await expect(page.locator("#pools-grid tbody tr")).toHaveCount(3);
  await expect(page.locator("#pools-grid").getByRole("img", { name: "Stateless Server (Pool)" }).first()).toBeVisible();
  await page.goto("/templates?q=Blank");
  await expect(page.locator("#templates-grid").getByRole("img", { name: "Server", exact: true })).toHaveAttribute("title", "Server");
});

test("running five VMs at once shows each one's progress", async ({ page }, info) => {
  await login(page, info, "/vms?q=grid-0000&sort=name&size=25");
  const rows = page.locator("#vms-grid tbody tr");
  await expect(rows).toHaveCount(9);
  const names = ["grid-00001", "grid-00002", "grid-00003", "grid-00005", "grid-00006"];
  for (const name of names) {
    await page.locator("#vms-grid tbody tr", { hasText: name }).getByRole("checkbox").check();
  }
  const toolbar = page.getByRole("toolbar", { name: "VM actions" });
  await toolbar.getByRole("button", { name: "Run" }).click();
  if (jsEnabled(info)) {
    for (const name of names) {
      await expect(page.locator("#vms-grid tbody tr", { hasText: name }).getByTestId("op")).toHaveText("Started");
    }
  } else {
    await expect(page.getByTestId("bulk-notice")).toHaveText("Run: 5 of 5 done.");
  }
  for (const name of names) {
    await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveAttribute("data-status", "up");
  }
  // Leave them as they were.
  for (const name of names) {
    await page.locator("#vms-grid tbody tr", { hasText: name }).getByRole("checkbox").check();
  }
  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Power Off" }).click();
  await page.getByRole("dialog", { name: "Power Off Virtual Machines" }).getByRole("button", { name: "Power Off" }).click();
  for (const name of names) {
    await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveAttribute("data-status", "down");
  }
});
