import { expect, Locator, Page, test, TestInfo } from "@playwright/test";
import { login, ready } from "./helpers";

/** The end-to-end server samples every 2 s (VIREO_SAMPLE_INTERVAL in playwright.config.ts). The
 * chart refetches on live updates only, so the test reloads until `rows` samples are listed. */
async function untilSampled(page: Page, info: TestInfo, chart: Locator, rows: number) {
  await expect(async () => {
    await page.reload();
    await ready(page, info);
    expect(await chart.getByTestId("usage-table").locator("tbody tr").count()).toBeGreaterThanOrEqual(rows);
  }).toPass({ timeout: 30_000 });
}

test("a running VM's General sub-tab charts its last hour of CPU and memory, and so does its host's detail", async ({ page }, info) => {
  const name = `usage-${info.project.name}`;
  await login(page, info, "/vms?dialog=new");
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await dialog.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);

  const row = page.locator("#vms-grid tbody tr", { hasText: name });
  const detail = page.getByRole("region", { name: `VM ${name}` });
  const chart = detail.getByTestId("usage-chart");
  // Never run: nothing sampled yet, and the chart says so.
  await expect(chart.getByRole("heading", { name: "Usage (last hour)" })).toBeVisible();
  await expect(chart.getByTestId("usage-empty")).toContainText("No samples yet");

  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Run" }).click();
  await expect(row).toHaveAttribute("data-status", "up");
  await untilSampled(page, info, chart, 2);

  // The SVG: labelled axes, the memory line (the test driver's guests use all their memory) and a
  // CPU line once two readings give a rate; the accessible name sums it up.
  const svg = chart.getByRole("img", { name: /^VM usage over the last hour: \d+ samples; latest CPU [\d.]+%, memory 1 GiB \(100\.0%\)$/ });
  await expect(svg).toBeVisible();
  for (const label of ["-60 min", "-30 min", "now", "0%", "100%"]) {
    await expect(svg.locator("text", { hasText: label }).first()).toBeAttached();
  }
  await expect(svg.locator('[data-series="memory"]').first()).toBeAttached();
  await expect(svg.locator('[data-series="cpu"]').first()).toBeAttached();
  await expect(chart.getByTestId("usage-latest")).toContainText("memory 1 GiB (100.0%)");
  // The same values in a table for screen readers, newest first.
  const table = chart.getByTestId("usage-table");
  await expect(table.locator("thead th")).toHaveText(["When", "CPU", "Memory"]);
  await expect(table.locator("tbody tr").first().locator("td").nth(2)).toHaveText("1 GiB (100.0%)");

  // The host it runs on: its memory (node info less free memory) on its detail.
  await page.goto("/hosts");
  await ready(page, info);
  const host = page.getByRole("region", { name: /^Host / }).getByTestId("usage-chart");
  await untilSampled(page, info, host, 1);
  await expect(host.getByRole("img", { name: /^Host usage over the last hour: \d+ samples; / })).toBeVisible();

  // Leave nothing running for the other specs.
  await page.goto(`/vms?q=${encodeURIComponent(name)}`);
  await ready(page, info);
  await page.locator("#vms-grid tbody tr", { hasText: name }).getByRole("checkbox").check();
  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Power Off" }).click();
  await page.getByRole("dialog", { name: "Power Off Virtual Machines" }).getByRole("button", { name: "Power Off" }).click();
  await expect(page.locator("#vms-grid tbody tr", { hasText: name })).toHaveAttribute("data-status", "down");
});
