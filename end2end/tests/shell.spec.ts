import { expect, test } from "@playwright/test";
import { login, ready } from "./helpers";

test("the navigation reaches every section", async ({ page }, info) => {
  await login(page, info);
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [link, heading, path] of [
    ["Templates", "Templates", "/templates"],
    ["Pools", "Pools", "/pools"],
    ["Hosts", "Hosts", "/hosts"],
    ["Data Centers", "Data Centers", "/datacenters"],
    ["Clusters", "Clusters", "/clusters"],
    ["Events", "Events", "/events"],
    ["Virtual Machines", "Virtual Machines", "/vms"],
    ["Dashboard", "Dashboard", "/"],
  ]) {
    await nav.getByRole("link", { name: link, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    await expect(nav.getByRole("link", { name: link, exact: true })).toHaveAttribute("aria-current", "page");
  }
});

test("the default host shows its simulated topology", async ({ page }, info) => {
  await login(page, info, "/hosts");
  const grid = page.locator("#hosts-grid");
  await grid.getByRole("link", { name: "default-host" }).click();
  await expect(page).toHaveURL(/\/hosts\?.*selected=/);
  // Simulated hosts added by other specs share the test driver's URI: look in this host's row.
  const row = grid.getByRole("row").filter({ has: page.getByRole("link", { name: "default-host", exact: true }) });
  await expect(row.getByRole("cell", { name: "test:///default", exact: true })).toBeVisible();
  const topology = page.getByTestId("host-topology");
  await expect(topology.getByText("simulated topology")).toBeVisible();
  await expect(topology.getByTestId("sockets")).toHaveText("2");
  await expect(topology.getByTestId("cores")).toHaveText("8");
  await expect(topology.getByTestId("threads")).toHaveText("2");
  await expect(topology.getByTestId("numa-cells")).toHaveText("2");
  await expect(topology.getByTestId("invtsc")).toHaveText("yes");
  await expect(topology.locator('tr[data-cell="0"] td[data-page-size="1048576"]')).toHaveText("16 / 16");
  await expect(topology.locator('tr[data-cell="1"] td[data-page-size="2048"]')).toHaveText("8192 / 8192");
});

test("the Blank template and the Default cluster are there from the first run", async ({ page }, info) => {
  await login(page, info, "/templates");
  await expect(page.locator("#templates-grid").getByRole("cell", { name: "Blank", exact: true })).toBeVisible();
  await page.goto("/clusters");
  await ready(page, info);
  // The row whose name is Default: every cluster of the Default data center says "Default" too.
  const row = page
    .locator("#clusters-grid tbody tr")
    .filter({ has: page.getByRole("link", { name: "Default", exact: true }) });
  await expect(row.getByRole("cell", { name: "4.8" })).toBeVisible();
});
