import { expect, test } from "@playwright/test";
import { adminPassword, login, ready } from "./helpers";

test("an anonymous visitor is sent to the login page and comes back after logging in", async ({ page }, info) => {
  await page.goto("/hosts");
  await expect(page).toHaveURL(/\/login\?next=%2Fhosts|\/login\?next=\/hosts/);
  await ready(page, info);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(adminPassword);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/hosts$/);
  await expect(page.getByRole("heading", { name: "Hosts", level: 1 })).toBeVisible();
  await expect(page.getByTestId("current-user")).toContainText("admin");
});

test("a wrong password gets one clear message that does not say which half was wrong", async ({ page }, info) => {
  await page.goto("/login");
  await ready(page, info);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Incorrect username or password.");
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel("Username").fill("nobody-by-this-name");
  await page.getByLabel("Password").fill("whatever-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Incorrect username or password.");
});

test("logging out ends the session", async ({ page }, info) => {
  await login(page, info, "/clusters");
  // The Default cluster (its name links; its data center, also Default, is plain text).
  await expect(page.getByRole("table", { name: "Clusters" }).getByRole("link", { name: "Default", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login\?logged_out=1/);
  await expect(page.getByRole("status")).toHaveText("You have logged out.");
  await page.goto("/clusters");
  await expect(page).toHaveURL(/\/login/);
});

test("the session cookie is HttpOnly and SameSite=Strict", async ({ page, context }, info) => {
  await login(page, info);
  const cookie = (await context.cookies()).find((c) => c.name === "vireo_session");
  expect(cookie).toBeDefined();
  expect(cookie!.httpOnly).toBe(true);
  expect(cookie!.sameSite).toBe("Strict");
});
