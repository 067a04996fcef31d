import { expect, Page, test, TestInfo } from "@playwright/test";
import { jsEnabled, login, ready } from "./helpers";

// The Dashboard at `/`: its counts follow what the test creates, and every count links to the grid
// search that lists exactly what it counts.

async function update(page: Page, info: TestInfo) {
  if (!jsEnabled(info)) {
    await page.getByRole("button", { name: "Update" }).click();
    await ready(page, info);
  }
}

async function openDashboard(page: Page, info: TestInfo) {
  await page.goto("/");
  await ready(page, info);
  await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
}

async function count(page: Page, card: string, key: string): Promise<number> {
  const text = await page.locator(`#${card} tr[data-key="${key}"] a`).textContent();
  return Number(text);
}

async function missing(page: Page): Promise<number> {
  return Number(await page.locator("#hp-recommendations").getAttribute("data-missing"));
}

/** A new VM through the New dialog; High Performance ones are saved as they are ("Save anyway"). */
async function newVm(page: Page, info: TestInfo, name: string, highPerformance: boolean) {
  await page.goto("/vms?dialog=new");
  await ready(page, info);
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Operating System").selectOption({ label: "Red Hat Enterprise Linux 9.x x64" });
  await dialog.getByLabel("Memory Size").fill("1024");
  await dialog.getByLabel("Total Virtual CPUs").fill("2");
  if (highPerformance) {
    await dialog.getByLabel("Optimized for").selectOption({ label: "High Performance" });
    await update(page, info);
  }
  await page.getByRole("button", { name: "OK" }).click();
  if (highPerformance) {
    const review = page.getByRole("dialog", { name: "High Performance Virtual Machine Settings" });
    await review.getByRole("button", { name: "Save anyway" }).click();
  }
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);
}

test("/ is the Dashboard, first in the navigation, and logging in lands on it", async ({ page }, info) => {
  await page.goto("/login");
  await ready(page, info);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(process.env.VIREO_E2E_ADMIN_PASSWORD ?? "e2e-admin-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await ready(page, info);
  await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link").first()).toHaveText("Dashboard");
  await expect(nav.getByRole("link", { name: "Dashboard" })).toHaveAttribute("aria-current", "page");
  // Capacity of the default host's cluster and its huge pages (the simulated 2 × 8 × 2 topology).
  const cluster = page.locator('#cluster-capacity tr[data-cluster="Default"]');
  await expect(cluster.getByTestId("vcpus")).toContainText(/ of \d+ CPUs/);
  await expect(cluster.locator("svg.bar")).toHaveCount(2);
  await expect(page.locator('#huge-pages tr[data-host="default-host"] li[data-page-size="1048576"]')).toContainText("1 GiB");
  // A host count links to its grid search.
  const up = await count(page, "hosts-by-status", "up");
  expect(up).toBeGreaterThanOrEqual(1);
  await page.locator('#hosts-by-status tr[data-key="up"] a').click();
  await expect(page).toHaveURL(/\/hosts\?q=status(:|%3A)up$/);
  await ready(page, info);
  await expect(page.locator("#hosts-grid tbody tr")).toHaveCount(up);
});

test("the counts follow the VMs created, and the High Performance link lists exactly the lacking ones", async ({ page }, info) => {
  const suffix = `${info.project.name}-${Date.now() % 100000}`;
  const server = `dash-srv-${suffix}`;
  const hp = `dash-hp-${suffix}`;
  await login(page, info, "/");
  await openDashboard(page, info);
  const down = await count(page, "vms-by-status", "down");
  const servers = await count(page, "vms-by-type", "server");
  const hps = await count(page, "vms-by-type", "high_performance");
  const lacking = await missing(page);

  await newVm(page, info, server, false);
  await newVm(page, info, hp, true);

  await openDashboard(page, info);
  expect(await count(page, "vms-by-status", "down")).toBe(down + 2);
  expect(await count(page, "vms-by-type", "server")).toBe(servers + 1);
  expect(await count(page, "vms-by-type", "high_performance")).toBe(hps + 1);
  expect(await missing(page)).toBe(lacking + 1);

  // "Down" links to the grid of exactly that many VMs.
  await page.locator('#vms-by-status tr[data-key="down"] a').click();
  await expect(page).toHaveURL(/\/vms\?q=status(:|%3A)down$/);
  await ready(page, info);
  await expect(page.getByTestId("grid-total")).toContainText(`of ${down + 2} virtual machines`);

  // The recommendations link: the grid lists as many VMs as the Dashboard counts, ours among them
  // and the server VM not.
  await openDashboard(page, info);
  const link = page.getByRole("link", { name: `${lacking + 1} High Performance VMs are missing recommended settings` });
  await link.click();
  await expect(page).toHaveURL(/\/vms\?q=recommendations(:|%3A)missing$/);
  await ready(page, info);
  await expect(page.getByTestId("grid-total")).toContainText(`of ${lacking + 1} virtual machines`);
  await page.goto(`/vms?q=${encodeURIComponent(`recommendations:missing ${hp}`)}`);
  await ready(page, info);
  await expect(page.locator("#vms-grid tbody tr")).toHaveCount(1);
  await expect(page.locator("#vms-grid tbody tr")).toContainText(hp);
  await page.goto(`/vms?q=${encodeURIComponent(`recommendations:missing ${server}`)}`);
  await ready(page, info);
  await expect(page.locator("#vms-grid tbody tr", { hasText: server })).toHaveCount(0);
});
