import { Browser, expect, Page, test, TestInfo } from "@playwright/test";
import { jsEnabled, login, ready } from "./helpers";

// Pages leave out what the logged-in role may not do (the service refuses it anyway). Each project
// (hydrated, no-js) uses its own user names: both run against one server.

async function addUser(page: Page, name: string, role: "viewer" | "operator", password: string) {
  await page.goto("/users?dialog=add");
  const add = page.getByRole("dialog", { name: "Add User" });
  await expect(add).toBeVisible();
  await add.getByLabel("User name").fill(name);
  await add.getByLabel("Role").selectOption(role);
  await add.getByLabel("Password", { exact: true }).fill(password);
  await add.getByLabel("Repeat password").fill(password);
  await add.getByRole("button", { name: "Add" }).click();
  await expect(page).toHaveURL(/\/users\?selected=/);
}

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

async function visit(page: Page, info: TestInfo, path: string) {
  await page.goto(path);
  await ready(page, info);
  // The grid (or its empty state) has loaded: what is left out is left out of a finished page.
  await expect(page.locator("table.grid, [data-testid=grid-empty]").first()).toBeVisible();
}

test("viewers see no write actions and operators no infrastructure actions", async ({ browser, page }, info) => {
  const password = "role-test-password-1";
  const viewer = `watcher-${info.project.name}`;
  const operator = `runner-${info.project.name}`;
  await login(page, info, "/users");
  await addUser(page, viewer, "viewer", password);
  await addUser(page, operator, "operator", password);

  // The admin has every toolbar.
  await visit(page, info, "/vms");
  await expect(page.getByRole("toolbar", { name: "VM actions" })).toBeVisible();
  await visit(page, info, "/hosts");
  await expect(page.getByRole("button", { name: "Add host" })).toBeVisible();
  await expect(page.getByRole("button", { name: /(Start|Stop) KSM/ })).toBeVisible();

  const v = await loginAs(browser, info, viewer, password);
  await expect(v.getByTestId("current-user")).toContainText("viewer");
  for (const [path, toolbar] of [
    ["/vms", "VM actions"],
    ["/templates", "Template actions"],
    ["/pools", "Pool actions"],
    ["/datacenters", "Data center actions"],
    ["/clusters", "Cluster actions"],
  ]) {
    await visit(v, info, path);
    await expect(v.getByRole("toolbar", { name: toolbar })).toHaveCount(0);
    await expect(v.getByRole("button", { name: "New" })).toHaveCount(0);
  }
  await visit(v, info, "/vms");
  await expect(v.getByRole("button", { name: "Run" })).toHaveCount(0);
  await visit(v, info, "/hosts");
  await expect(v.getByRole("button", { name: "Add host" })).toHaveCount(0);
  await expect(v.getByTestId("ksm")).toBeVisible();
  await expect(v.getByRole("button", { name: /(Start|Stop) KSM/ })).toHaveCount(0);

  const o = await loginAs(browser, info, operator, password);
  await visit(o, info, "/vms");
  await expect(o.getByRole("toolbar", { name: "VM actions" }).getByRole("button", { name: "New" })).toBeVisible();
  await visit(o, info, "/templates");
  await expect(o.getByRole("toolbar", { name: "Template actions" })).toBeVisible();
  await visit(o, info, "/clusters");
  await expect(o.getByRole("toolbar", { name: "Cluster actions" })).toHaveCount(0);
  await visit(o, info, "/datacenters");
  await expect(o.getByRole("toolbar", { name: "Data center actions" })).toHaveCount(0);
  await visit(o, info, "/hosts");
  await expect(o.getByRole("button", { name: "Add host" })).toHaveCount(0);
  await expect(o.getByRole("button", { name: /(Start|Stop) KSM/ })).toHaveCount(0);

  await v.context().close();
  await o.context().close();
});
