import { Browser, expect, Page, test, TestInfo } from "@playwright/test";
import { jsEnabled, login, ready } from "./helpers";

// The Console sub-tab as the libvirt test driver shows it: its domains have no consoles, so every
// console says why it cannot be opened instead of showing a dead terminal. (The real consoles are
// tested under KVM; the page's console script against a scripted server in
// consoles.hydrated.spec.ts.) Seeded VMs: grid-000x8/x9 are High Performance (serial console,
// headless), grid-000x1…x5 Server (a display).

const detailOf = (page: Page, name: string) => page.getByRole("region", { name: `VM ${name}` });

/** Opens `/vms` with the first VM matching `search` selected; returns its name and id. */
async function selectVm(page: Page, info: TestInfo, search: string): Promise<{ name: string; id: string }> {
  await page.goto(`/vms?q=${encodeURIComponent(search)}`);
  await ready(page, info);
  const link = page.locator("#vms-grid tbody tr td a").first();
  const name = (await link.textContent())!.trim();
  await link.click();
  await expect(page).toHaveURL(/selected=/);
  await ready(page, info);
  const id = new URL(page.url()).searchParams.get("selected")!;
  await expect(detailOf(page, name)).toBeVisible();
  return { name, id };
}

async function expectUnavailable(page: Page, label: string, kind: string) {
  const section = page.getByRole("region", { name: label });
  await expect(section).toHaveAttribute("data-console", kind);
  await expect(section).toHaveAttribute("data-state", "unavailable");
  // A clear message in words, not an empty box.
  await expect(section.getByRole("status")).toHaveText(/\w{3,}.*\w{3,}/);
  // No terminal, no display, nothing to type into.
  await expect(section.locator(".xterm, canvas, textarea, [data-console-screen]")).toHaveCount(0);
}

test("a High Performance VM's Console tab says why its serial console cannot open", async ({ page }, info) => {
  await login(page, info);
  const vm = await selectVm(page, info, "grid-00008");
  await detailOf(page, vm.name).getByRole("tab", { name: "Console" }).click();
  await expect(page).toHaveURL(/tab=console/);
  await ready(page, info);
  await expect(detailOf(page, vm.name).getByRole("tab", { name: "Console" })).toHaveAttribute("aria-selected", "true");
  // The way out of a hung guest, asked first.
  await page.getByRole("toolbar", { name: "Console actions" }).getByRole("button", { name: "Reset" }).click();
  const confirm = page.getByRole("dialog", { name: "Reset Virtual Machine" });
  await expect(confirm).toContainText(`Reset ${vm.name} now?`);
  await confirm.getByRole("link", { name: "Cancel" }).click();
  await expect(page.getByRole("dialog", { name: "Reset Virtual Machine" })).toHaveCount(0);
  await expect(page).toHaveURL(/tab=console/);
  await expectUnavailable(page, "Serial console", "serial");
  // A headless VM has no display.
  await expect(page.locator('[data-console="vnc"]')).toHaveCount(0);
});

test("a Server VM's Console tab lists its graphical console with the reason", async ({ page }, info) => {
  await login(page, info);
  await selectVm(page, info, "grid-00001");
  await page.getByRole("tab", { name: "Console" }).click();
  await ready(page, info);
  await expectUnavailable(page, "Graphical console", "vnc");
});

test("the VMs toolbar's Console button opens the selected VM's Console tab", async ({ page }, info) => {
  await login(page, info);
  const vm = await selectVm(page, info, "grid-00002");
  await page.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "Console" }).click();
  await expect(page).toHaveURL(new RegExp(`selected=${vm.id}.*tab=console`));
  await ready(page, info);
  await expect(detailOf(page, vm.name).getByRole("tab", { name: "Console" })).toHaveAttribute("aria-selected", "true");
  await expect(page.locator(`section[data-console][data-vm-id="${vm.id}"]`)).toHaveCount(1);
});

test("without JavaScript the Console tab says the console needs it", async ({ page }, info) => {
  await login(page, info);
  const vm = await selectVm(page, info, "grid-00009");
  await page.goto(`/vms?selected=${vm.id}&tab=console`);
  await ready(page, info);
  const message = page.getByTestId("console-needs-js");
  if (jsEnabled(info)) {
    // A <noscript>: with scripts on, the browser does not show it.
    await expect(message).toHaveCount(0);
  } else {
    await expect(message).toBeVisible();
    await expect(message).toContainText("needs JavaScript");
  }
});

async function loginAs(browser: Browser, info: TestInfo, name: string, password: string): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: jsEnabled(info) });
  const page = await context.newPage();
  await page.goto("/login?next=%2Fvms");
  await ready(page, info);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/vms$/);
  await ready(page, info);
  return page;
}

test("a viewer sees no console and no console actions", async ({ browser, page }, info) => {
  const password = "console-viewer-password-1";
  const viewer = `console-viewer-${info.project.name}`;
  await login(page, info, "/users?dialog=add");
  const add = page.getByRole("dialog", { name: "Add User" });
  await add.getByLabel("User name").fill(viewer);
  await add.getByLabel("Role").selectOption("viewer");
  await add.getByLabel("Password", { exact: true }).fill(password);
  await add.getByLabel("Repeat password").fill(password);
  await add.getByRole("button", { name: "Add" }).click();
  await expect(page).toHaveURL(/\/users\?selected=/);
  const vm = await selectVm(page, info, "grid-00008");

  const v = await loginAs(browser, info, viewer, password);
  await v.goto(`/vms?q=grid-00008&selected=${vm.id}&tab=console`);
  await ready(v, info);
  await expect(v.getByTestId("console-not-allowed")).toContainText("Consoles are for administrators and operators");
  await expect(v.locator("section[data-console]")).toHaveCount(0);
  await expect(v.getByRole("button", { name: "Reset" })).toHaveCount(0);
  await expect(v.getByRole("button", { name: "Console" })).toHaveCount(0);
  // Asking the dialog by URL shows nothing either.
  await v.goto(`/vms?selected=${vm.id}&tab=console&console_dialog=reset`);
  await ready(v, info);
  await expect(v.getByRole("dialog")).toHaveCount(0);
  // Nor does the ticket endpoint hand one out.
  const ticket = await v.request.post("/api/console_ticket", {
    form: { vm_id: vm.id, kind: "serial" },
    headers: { Accept: "application/json", Origin: new URL(v.url()).origin },
  });
  expect(ticket.ok()).toBe(false);
  await v.context().close();
});

test("the console libraries and script are served as JavaScript", async ({ page }, info) => {
  await login(page, info);
  for (const path of [
    "/console.js",
    "/vendor/xterm/lib/xterm.js",
    "/vendor/addon-fit/lib/addon-fit.js",
    "/vendor/addon-canvas/lib/addon-canvas.js",
    "/vendor/novnc/core/rfb.js",
    "/vendor/novnc/core/util/browser.js",
    "/vendor/novnc/vendor/pako/lib/zlib/inflate.js",
  ]) {
    const response = await page.request.get(path);
    expect(response.status(), path).toBe(200);
    expect(response.headers()["content-type"], path).toMatch(/^(text|application)\/javascript/);
  }
  const css = await page.request.get("/vendor/xterm/css/xterm.css");
  expect(css.status()).toBe(200);
  expect(css.headers()["content-type"]).toMatch(/^text\/css/);
  for (const licence of ["/vendor/xterm/LICENSE", "/vendor/novnc/LICENSE.txt"]) {
    expect((await page.request.get(licence)).status(), licence).toBe(200);
  }
});
