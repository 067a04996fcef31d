import { expect, Page, test, TestInfo } from "@playwright/test";
import { login, newDataCenter, ready } from "./helpers";

// A data center's life through the UI: created, edited, given a cluster (the cluster dialog's Data
// Center select), refused removal while it owns that cluster, then the cluster and the data center
// removed. The tests build on each other; each project (hydrated, no-js) uses its own names, since
// both run against one server.
test.describe.configure({ mode: "serial" });

const dcName = (info: TestInfo) => `dc-${info.project.name}`;
const clusterName = (info: TestInfo) => `dc-cluster-${info.project.name}`;

/** Selects the grid row named `name` (its link) and waits for the page. */
async function selectRow(page: Page, info: TestInfo, grid: string, name: string) {
  await page.locator(`${grid} tbody tr`, { hasText: name }).getByRole("link", { name, exact: true }).click();
  await expect(page).toHaveURL(/selected=/);
  await ready(page, info);
}

test("a new data center is listed Uninitialized, before Clusters in the navigation", async ({ page }, info) => {
  await login(page, info, "/datacenters");
  const links = await page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents();
  expect(links.indexOf("Data Centers")).toBeGreaterThan(-1);
  expect(links.indexOf("Data Centers")).toBe(links.indexOf("Clusters") - 1);
  // Default, which owns the Default cluster, is there from the first run.
  const grid = page.getByRole("table", { name: "Data Centers" });
  await expect(grid.getByRole("row", { name: /Default/ })).toContainText("4.8");

  await newDataCenter(page, info, dcName(info), "4.6", "made by the browser test");
  const row = page.locator("#datacenters-grid tbody tr", { hasText: dcName(info) });
  await expect(row).toHaveAttribute("data-status", "uninitialized");
  await expect(row.getByRole("cell", { name: "Uninitialized" })).toBeVisible();
  await expect(row.getByRole("cell", { name: "4.6" })).toBeVisible();
  await expect(row.getByRole("cell", { name: "made by the browser test" })).toBeVisible();

  // The status term finds it; the URL keeps the search.
  await page.getByRole("searchbox", { name: "Search" }).fill(`status:uninitialized ${dcName(info)}`);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/[?&]q=status%3Auninitialized/);
  await expect(page.locator("#datacenters-grid tbody tr")).toHaveCount(1);
  await expect(page.locator("#datacenters-grid tbody tr")).toContainText(dcName(info));
});

test("editing a data center changes its description; General shows it", async ({ page }, info) => {
  await login(page, info, "/datacenters");
  await selectRow(page, info, "#datacenters-grid", dcName(info));
  await page.getByRole("toolbar", { name: "Data center actions" }).getByRole("button", { name: "Edit" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit Data Center" });
  await expect(dialog.getByLabel("Name")).toHaveValue(dcName(info));
  await expect(dialog.getByLabel("Compatibility Version")).toHaveValue("4.6");
  await dialog.getByLabel("Description").fill("edited in the browser");
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/datacenters\?selected=/);
  await ready(page, info);
  const detail = page.getByRole("region", { name: `Data center ${dcName(info)}` });
  await expect(detail.getByRole("tab", { name: "General" })).toHaveAttribute("aria-selected", "true");
  await expect(detail.getByTestId("general")).toContainText("edited in the browser");
  await expect(detail.getByTestId("general")).toContainText("Uninitialized");
});

test("a cluster below its data center's version is refused beside the version", async ({ page }, info) => {
  await login(page, info, "/clusters?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Cluster" });
  // New clusters go to Default unless told otherwise.
  await expect(dialog.getByLabel("Data Center").locator("option:checked")).toHaveText("Default");
  await dialog.getByLabel("Name").fill(`too-old-${info.project.name}`);
  await dialog.getByLabel("Compatibility Version").selectOption("4.6");
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(dialog.locator(".field-error")).toHaveText("Data center Default is at 4.8: its clusters may not be below it.");
  await page.goto("/clusters");
  await ready(page, info);
  await expect(page.locator("#clusters-grid tbody tr", { hasText: `too-old-${info.project.name}` })).toHaveCount(0);
});

test("a new cluster in the data center shows it in the grid, its General tab and the data center's Clusters", async ({
  page,
}, info) => {
  await login(page, info, "/clusters");
  await page.getByRole("toolbar", { name: "Cluster actions" }).getByRole("button", { name: "New" }).click();
  const dialog = page.getByRole("dialog", { name: "New Cluster" });
  await dialog.getByLabel("Data Center").selectOption({ label: dcName(info) });
  await dialog.getByLabel("Name").fill(clusterName(info));
  await dialog.getByLabel("Compatibility Version").selectOption("4.7");
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/clusters\?selected=/);
  await ready(page, info);
  const row = page.locator("#clusters-grid tbody tr", { hasText: clusterName(info) });
  await expect(row.getByRole("cell", { name: dcName(info), exact: true })).toBeVisible();
  const general = page.getByRole("region", { name: `Cluster ${clusterName(info)}` }).getByTestId("general");
  await expect(general.getByTestId("data-center")).toHaveText(dcName(info));

  // From the General tab to the data center, and its Clusters sub-tab lists the cluster.
  await general.getByRole("link", { name: dcName(info) }).click();
  await expect(page).toHaveURL(/\/datacenters\?selected=/);
  await ready(page, info);
  const detail = page.getByRole("region", { name: `Data center ${dcName(info)}` });
  await expect(detail.getByTestId("general")).toContainText("Clusters1");
  await detail.getByRole("tab", { name: "Clusters" }).click();
  await expect(page).toHaveURL(/tab=clusters/);
  await ready(page, info);
  await expect(detail.getByRole("tab", { name: "Clusters" })).toHaveAttribute("aria-selected", "true");
  await expect(detail.getByRole("table", { name: "Clusters of the data center" })).toBeVisible();
  await detail.getByRole("link", { name: clusterName(info), exact: true }).click();
  await expect(page).toHaveURL(/\/clusters\?selected=/);
  await expect(page.getByRole("region", { name: `Cluster ${clusterName(info)}` })).toBeVisible();
  await ready(page, info);

  // The datacenter: term narrows the grid to it.
  await page.getByRole("searchbox", { name: "Search" }).fill(`datacenter:${dcName(info)}`);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/[?&]q=datacenter%3A/);
  await expect(page.locator("#clusters-grid tbody tr")).toHaveCount(1);
  await expect(page.locator("#clusters-grid tbody tr")).toContainText(clusterName(info));
});

test("a data center that owns a cluster is not removed, and the dialog says why", async ({ page }, info) => {
  await login(page, info, "/datacenters");
  await selectRow(page, info, "#datacenters-grid", dcName(info));
  await page.getByRole("toolbar", { name: "Data center actions" }).getByRole("button", { name: "Remove" }).click();
  const dialog = page.getByRole("dialog", { name: "Remove Data Center" });
  await expect(dialog).toContainText(`Remove data center ${dcName(info)}?`);
  await dialog.getByRole("button", { name: "Remove" }).click();
  const alert = page.getByRole("dialog", { name: "Remove Data Center" }).getByRole("alert");
  await expect(alert).toContainText(`Data center ${dcName(info)} still owns clusters ${clusterName(info)}`);
  await page.goto("/datacenters");
  await ready(page, info);
  await expect(page.locator("#datacenters-grid tbody tr", { hasText: dcName(info) })).toHaveCount(1);
});

test("the cluster, then the data center, are removed after confirming", async ({ page }, info) => {
  await login(page, info, "/clusters");
  await selectRow(page, info, "#clusters-grid", clusterName(info));
  await page.getByRole("toolbar", { name: "Cluster actions" }).getByRole("button", { name: "Remove" }).click();
  const removeCluster = page.getByRole("dialog", { name: "Remove Cluster" });
  await expect(removeCluster).toContainText(`Remove cluster ${clusterName(info)} of data center ${dcName(info)}`);
  await removeCluster.getByRole("button", { name: "Remove" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
  await ready(page, info);
  await expect(page.locator("#clusters-grid tbody tr", { hasText: clusterName(info) })).toHaveCount(0);

  await page.goto("/datacenters");
  await ready(page, info);
  await selectRow(page, info, "#datacenters-grid", dcName(info));
  await page.getByRole("toolbar", { name: "Data center actions" }).getByRole("button", { name: "Remove" }).click();
  const removeDc = page.getByRole("dialog", { name: "Remove Data Center" });
  // Cancel leaves it in place.
  await removeDc.getByRole("link", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/\/datacenters\?selected=/);
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await page.getByRole("toolbar", { name: "Data center actions" }).getByRole("button", { name: "Remove" }).click();
  await page.getByRole("dialog", { name: "Remove Data Center" }).getByRole("button", { name: "Remove" }).click();
  await expect(page).toHaveURL(/\/datacenters$/);
  await ready(page, info);
  await expect(page.locator("#datacenters-grid tbody tr", { hasText: dcName(info) })).toHaveCount(0);
  await expect(page.locator("#datacenters-grid tbody tr", { hasText: "Default" })).toHaveCount(1);
});
