import { expect, Page, test } from "@playwright/test";
import { login, ready } from "./helpers";

// Landing on a grid page with a row's details shown and a dialog open (a link, Back, a form posted
// without JavaScript) must hydrate. The details' resources are created while the table hydrates in
// the browser but only after the rows load on the server: a dialog's resource after them got
// another id on each side, read the wrong data, and hydration stopped, leaving the page dead to
// input. (The Hosts page's Add Host dialog after the host's CPU map; a VM's sub-tabs and Edit; the
// Disks sub-tab's Attach, whose list of free disks the dialog fetched itself.) And the dialog must
// be live: a part of the page whose code was not there in time hydrates as nothing, silently.

/** The id of the first row of `grid` at `url`. */
async function firstRowId(page: Page, url: string, grid: string): Promise<string> {
  await page.goto(url);
  const id = await page.locator(`${grid} tbody tr`).first().getAttribute("data-id");
  expect(id).toBeTruthy();
  return id ?? "";
}

/** Opens `url` and checks that it hydrates without a hydration error or a panic. */
async function hydratesCleanly(page: Page, url: string) {
  const errors: string[] = [];
  const onConsole = (m: { type(): string; text(): string }) => {
    if (m.type() === "error" && /hydrat|panicked/i.test(m.text())) errors.push(m.text().slice(0, 300));
  };
  const onPageError = (e: Error) => errors.push(e.message);
  page.on("console", onConsole);
  page.on("pageerror", onPageError);
  await page.goto(url);
  await expect(page.locator("#vireo-root")).toHaveAttribute("data-hydrated", "true");
  // A panic during hydration is logged after the flag may already be set: give it a moment.
  await page.waitForLoadState("networkidle");
  page.off("console", onConsole);
  page.off("pageerror", onPageError);
  expect(errors, `hydrating ${url}`).toEqual([]);
}

/**
 * Closes the one dialog `url` opened, in the browser: the page is not loaded again and the dialog
 * is gone. A part of the page that hydrated as nothing (its code not there in time) leaves the
 * server's dialog on screen after the router's navigation, and logs no error.
 */
async function closesInTheBrowser(page: Page, url: string) {
  const dialog = page.getByRole("dialog");
  await expect(dialog, `${url} opens one dialog`).toHaveCount(1);
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
  await dialog.getByRole("link", { name: "Close" }).click();
  await expect(page.getByRole("dialog"), `${url}: Close closes it`).toHaveCount(0);
  const same = await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument === true);
  expect(same, `${url}: closed by the router, not by loading the page again`).toBe(true);
}

test("grid pages with a row's details and a dialog open hydrate", async ({ page }, info) => {
  await login(page, info, "/vms");
  const vm = await firstRowId(page, "/vms?q=grid-00001", "#vms-grid");
  const host = await firstRowId(page, "/hosts", "#hosts-grid");
  const template = await firstRowId(page, "/templates", "#templates-grid");
  const dc = await firstRowId(page, "/datacenters", "#datacenters-grid");
  const urls = [
    `/vms?q=grid-00001&selected=${vm}&dialog=edit&id=${vm}`,
    `/vms?q=grid-00001&selected=${vm}&tab=disks&dialog=edit&id=${vm}`,
    `/vms?q=grid-00001&selected=${vm}&tab=nics&dialog=new`,
    `/vms?q=grid-00001&selected=${vm}&tab=disks&disk_dialog=attach`,
    // Where `/vms/bulk` sends a browser without JavaScript to confirm a Power Off.
    `/vms?q=grid-00001&confirm=power_off&ids=${vm}`,
    `/hosts?selected=${host}&dialog=add`,
    `/templates?selected=${template}&dialog=edit&id=${template}`,
    `/templates?selected=${template}&tab=nics&nic_dialog=new`,
    `/templates?selected=${template}&tab=disks&disk_dialog=attach`,
    `/pools?dialog=new`,
    `/`,
    `/datacenters?selected=${dc}&tab=clusters&dialog=edit&id=${dc}`,
  ];
  for (const url of urls) {
    await hydratesCleanly(page, url);
    if (url !== "/") await closesInTheBrowser(page, url);
  }

  // And the page reacts: the Add Host dialog's Transport select updates its URI preview.
  await hydratesCleanly(page, "/hosts?dialog=add");
  await ready(page, info);
  const add = page.getByRole("dialog", { name: "Add Host" });
  await add.getByLabel("Transport").selectOption("simulated_libvirtd");
  await expect(add.getByLabel("libvirt URI Vireo will use")).toHaveText("test+unix:///default");
});
