import { APIRequestContext, expect, Locator, Page, Request, TestInfo } from "@playwright/test";

export const adminPassword = process.env.VIREO_E2E_ADMIN_PASSWORD ?? "e2e-admin-password";

export function jsEnabled(info: TestInfo): boolean {
  return info.project.name !== "no-js";
}

/** Waits until the page is interactive: hydrated when JavaScript runs, loaded otherwise. */
export async function ready(page: Page, info: TestInfo) {
  if (jsEnabled(info)) {
    await expect(page.locator("#vireo-root")).toHaveAttribute("data-hydrated", "true");
  } else {
    await page.waitForLoadState("load");
  }
}

export async function login(page: Page, info: TestInfo, next = "/vms") {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await ready(page, info);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(adminPassword);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((url) => url.pathname + url.search === next);
  await ready(page, info);
}

/** A new data center through the New Data Center dialog; the Data Centers page is left open on it. */
export async function newDataCenter(page: Page, info: TestInfo, name: string, version: string, description = "") {
  await page.goto("/datacenters");
  await ready(page, info);
  await page.getByRole("toolbar", { name: "Data center actions" }).getByRole("button", { name: "New" }).click();
  const dialog = page.getByRole("dialog", { name: "New Data Center" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Description").fill(description);
  await dialog.getByLabel("Compatibility Version").selectOption(version);
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/datacenters\?selected=/);
  await ready(page, info);
}

/** Opens a tab of the open configuration dialog (not a sub-tab of the page behind it). Without
 * JavaScript every tab's fields are on the page at once. */
export async function openTab(page: Page, info: TestInfo, name: string) {
  if (jsEnabled(info)) {
    await page.getByRole("tablist", { name: "Dialog sections" }).getByRole("tab", { name }).click();
  }
}

/** Logs in, opens the New Virtual Machine dialog and fills a RHEL 9 guest's name, memory and vCPUs:
 * the start of every High Performance spec. Returns the dialog. */
export async function newRhelVmDialog(page: Page, info: TestInfo, name: string, memoryMib: number, vcpus: number) {
  await login(page, info, "/vms");
  await page.getByRole("button", { name: "New" }).click();
  const dialog = page.getByRole("dialog", { name: "New Virtual Machine" });
  await expect(dialog).toBeVisible();
  await ready(page, info);
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Operating System").selectOption({ label: "Red Hat Enterprise Linux 9.x x64" });
  await dialog.getByLabel("Memory Size").fill(String(memoryMib));
  await dialog.getByLabel("Total Virtual CPUs").fill(String(vcpus));
  return dialog;
}

/** A REST API bearer token (the oVirt SDK's password grant): changes made with it come from
 * outside the page, as another client's would. */
export async function restToken(request: APIRequestContext): Promise<string> {
  const r = await request.post("/ovirt-engine/sso/oauth/token", {
    form: { grant_type: "password", scope: "ovirt-app-api", username: "admin@internal", password: adminPassword },
    headers: { Accept: "application/json" },
  });
  expect(r.status()).toBe(200);
  return (await r.json()).access_token;
}

/** A VM's id by its name, through the REST API. */
export async function vmIdByName(request: APIRequestContext, token: string, name: string): Promise<string> {
  const r = await request.get(`/ovirt-engine/api/vms?search=${encodeURIComponent(`name=${name}`)}`, {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/xml" },
  });
  expect(r.status()).toBe(200);
  const id = /<vm [^>]*id="([^"]+)"/.exec(await r.text())?.[1];
  expect(id, name).toBeTruthy();
  return id as string;
}

/** Sets a VM's description through the REST API. */
export async function setVmDescription(request: APIRequestContext, token: string, id: string, description: string) {
  const r = await request.put(`/ovirt-engine/api/vms/${id}`, {
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/xml", Accept: "application/xml" },
    data: `<vm><description>${description}</description></vm>`,
  });
  expect(r.status()).toBe(200);
}

/** Logs in and opens the Hosts page's Add Host dialog from its toolbar. */
export async function openAddHost(page: Page, info: TestInfo): Promise<Locator> {
  await login(page, info, "/hosts");
  await page.getByRole("button", { name: "Add host" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Host" });
  await expect(dialog).toBeVisible();
  return dialog;
}

/** A split point's wasm chunk in the bundle's folder (`split_` and the split point's name:
 * scripts/build.sh), as a route pattern. */
export function chunkPattern(splitPoint: string): RegExp {
  return new RegExp(`/pkg/bundle\\.[0-9a-f]{16}/split_${splitPoint}[^/]*\\.wasm$`);
}

/** Records the requests `page` makes from now on for the chunk `pattern` matches. */
export function chunkRequests(page: Page, pattern: RegExp): Request[] {
  const seen: Request[] = [];
  page.on("request", (request) => {
    if (pattern.test(new URL(request.url()).pathname)) seen.push(request);
  });
  return seen;
}
