import { expect, Locator, Page, test, TestInfo } from "@playwright/test";
import { jsEnabled, login, openTab, ready, newRhelVmDialog } from "./helpers";

/** After a select changes, the hydrated dialog applies the rules at once; without JavaScript the
 * user presses "Update" (a GET round trip that re-renders the dialog with the rules applied). */
async function update(page: Page, info: TestInfo) {
  if (!jsEnabled(info)) {
    await page.getByRole("button", { name: "Update" }).click();
    await ready(page, info);
  }
}

/** The host CPUs a pinning text names: `0#2_1#18` → [2, 18]; `4,20` → [4, 20]. */
function cpusOf(text: string): number[] {
  return text
    .split("_")
    .map((pair) => (pair.includes("#") ? pair.split("#")[1] : pair))
    .flatMap((set) => set.split(","))
    .flatMap((part) => {
      const [lo, hi] = part.split("-").map(Number);
      return hi === undefined ? [lo] : Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    });
}

/** CPU 0's core (CPU 0 and its sibling threads) is drawn as the host's. */
async function expectHostCore(map: Locator) {
  const core = map.locator("g.core", { has: map.page().locator('rect[data-cpu="0"]') });
  const cpus = core.locator("rect[data-cpu]");
  await expect(cpus).toHaveCount(2);
  for (const cpu of await cpus.all()) {
    await expect(cpu).toHaveAttribute("data-host", "true");
    await expect(cpu).not.toHaveAttribute("data-vm", /.+/);
  }
}

test("the CPU map shows an HP VM saved with the computed fixes: proposed, on its host, on its General tab", async ({ page }, info) => {
  const name = `map-${info.project.name}`;
  const dialog = await newRhelVmDialog(page, info, name, 2048, 2);
  await dialog.getByLabel("Optimized for").selectOption({ label: "High Performance" });
  await update(page, info);
  // Pinned at save time (no start-time policy), so R1 proposes pins the map can draw.
  await openTab(page, info, "Resource Allocation");
  await page.getByLabel("CPU Pinning Policy").selectOption("none");

  // The recommendations dialog draws the proposed pinning before "Apply fix".
  await page.getByRole("button", { name: "OK" }).click();
  const review = page.getByRole("dialog", { name: "High Performance Virtual Machine Settings" });
  await expect(review).toBeVisible();
  const proposed = review.locator('li[data-recommendation="R1"]').getByTestId("cpu-map");
  await expect(proposed.getByRole("img", { name: /^CPU map of host / })).toBeVisible();
  for (const vcpu of [0, 1]) {
    await expect(proposed.locator(`rect[data-vm="${name}"] title`).filter({ hasText: `${name}: vcpu ${vcpu} → cpu ` })).toHaveCount(1);
  }
  await expectHostCore(proposed);

  for (const title of ["CPU pinning", "IO thread pinning", "Virtual NUMA", "Kernel same-page merging (KSM)", "Huge pages"]) {
    await review.getByRole("button", { name: `Apply fix: ${title}` }).click();
    await expect(review.getByRole("button", { name: `Apply fix: ${title}` })).toHaveCount(0);
  }
  await review.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page).toHaveURL(/\/vms\?selected=/);
  await ready(page, info);

  // The VM's General sub-tab: its own pins on its host's map.
  const general = page.getByRole("region", { name: `VM ${name}` });
  const hp = general.getByTestId("high-performance");
  const hostName = (await hp.locator('[data-fact="pinned-host"]').innerText()).trim();
  const pinned = [
    ...cpusOf((await hp.locator('[data-fact="cpu-pinning"]').innerText()).trim()),
    ...cpusOf((await hp.locator('[data-fact="emulator-pinning"]').innerText()).trim()),
  ];
  expect(pinned.length).toBeGreaterThanOrEqual(2);
  expect(pinned).not.toContain(0);
  const own = general.getByTestId("cpu-map");
  await expect(own).toHaveAttribute("data-host-name", hostName);
  await expect(own.getByRole("img", { name: new RegExp(`^CPU map of host ${hostName}: `) })).toBeVisible();
  for (const cpu of pinned) {
    await expect(own.locator(`rect[data-cpu="${cpu}"]`)).toHaveAttribute("data-vm", name);
  }
  await expect(own.locator(`rect[data-cpu="${pinned[0]}"] title`)).toContainText(`${name}: vcpu 0 → cpu ${pinned[0]}`);
  await expectHostCore(own);

  // The host's CPU map labels the VM's CPUs with its name and leaves CPU 0's core to the host.
  await page.goto("/hosts");
  await ready(page, info);
  await page.getByRole("link", { name: hostName, exact: true }).click();
  await ready(page, info);
  const host = page.getByRole("region", { name: `Host ${hostName}` });
  const map = host.getByTestId("cpu-map");
  await expect(map.getByRole("img", { name: new RegExp(`^CPU map of host ${hostName}: 32 CPUs`) })).toBeVisible();
  for (const cpu of pinned) {
    await expect(map.locator(`rect[data-cpu="${cpu}"]`)).toHaveAttribute("data-vm", new RegExp(name));
    await expect(map.locator(`tr[data-cpu="${cpu}"]`)).toHaveAttribute("data-vm", new RegExp(name));
  }
  await expect(map.getByRole("list", { name: "CPU map legend" }).locator(`li[data-vm="${name}"]`)).toHaveText(name);
  await expectHostCore(map);
  await expect(map.locator('tr[data-cpu="0"]')).toHaveAttribute("data-host", "true");
  await expect(map.locator("g.cell text[data-huge-pages]").first()).toContainText("2 MiB: ");
});
