import { expect, test } from "@playwright/test";
import { jsEnabled, login, ready } from "./helpers";

// Each project (hydrated, no-js) uses its own user names: both run against one server.

test("an admin adds a user, who changes their own password and is logged out when disabled", async ({ browser, page }, info) => {
  const name = `pat-${info.project.name}`;
  const first = "first-password-1";
  const second = "second-password-2";

  await login(page, info, "/users");
  await page.getByRole("button", { name: "Add user" }).click();
  const add = page.getByRole("dialog", { name: "Add User" });
  await expect(add).toBeVisible();
  await add.getByLabel("User name").fill(name);
  await add.getByLabel("Role").selectOption("operator");
  await add.getByLabel("Password", { exact: true }).fill(first);
  await add.getByLabel("Repeat password").fill(first);
  await add.getByRole("button", { name: "Add" }).click();
  await expect(page).toHaveURL(/\/users\?selected=/);
  await expect(page.getByRole("dialog")).toHaveCount(0);
  const row = page.locator("#users-grid tbody tr", { hasText: name });
  await expect(row).toContainText("Operator");
  await expect(row).toContainText("Enabled");

  // The new user, in a browser of their own.
  const context = await browser.newContext({ javaScriptEnabled: jsEnabled(info) });
  const user = await context.newPage();
  await user.goto("/login?next=%2Fvms");
  await ready(user, info);
  await user.getByLabel("Username").fill(name);
  await user.getByLabel("Password").fill(first);
  await user.getByRole("button", { name: "Log in" }).click();
  await user.waitForURL(/\/vms$/);
  await ready(user, info);
  await expect(user.getByTestId("current-user")).toContainText(name);
  // Operators do not manage users: no link, and the page refuses.
  await expect(user.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" })).toHaveCount(0);

  await user.getByRole("link", { name: "Change password" }).click();
  await expect(user).toHaveURL(/\/account\/password/);
  await ready(user, info);
  await user.getByLabel("Current password").fill("not-my-password");
  await user.getByLabel("New password", { exact: true }).fill(second);
  await user.getByLabel("Repeat new password").fill(second);
  await user.getByRole("button", { name: "Change password" }).click();
  await expect(user.getByText("That is not your current password.")).toBeVisible();
  await ready(user, info);
  await user.getByLabel("Current password").fill(first);
  await user.getByLabel("New password", { exact: true }).fill(second);
  await user.getByLabel("Repeat new password").fill(second);
  await user.getByRole("button", { name: "Change password" }).click();
  await expect(user.getByRole("status")).toContainText("Your password has been changed.");
  // This session goes on.
  await user.goto("/vms");
  await ready(user, info);
  await expect(user.getByTestId("current-user")).toContainText(name);

  // The admin disables them (after confirming) ...
  await row.getByRole("link", { name, exact: true }).click();
  await expect(page).toHaveURL(/selected=/);
  await ready(page, info);
  await page.getByRole("button", { name: "Disable" }).click();
  const confirm = page.getByRole("dialog", { name: `Disable ${name}` });
  await expect(confirm).toContainText("logged out at once");
  await confirm.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.locator("#users-grid tbody tr", { hasText: name })).toContainText("Disabled");

  // ... and their next request goes to the login page, where the new password no longer works.
  await user.goto("/vms");
  await expect(user).toHaveURL(/\/login/);
  await ready(user, info);
  await user.getByLabel("Username").fill(name);
  await user.getByLabel("Password").fill(second);
  await user.getByRole("button", { name: "Log in" }).click();
  await expect(user.getByRole("alert")).toHaveText("Incorrect username or password.");
  await context.close();
});

test("after repeated failures the login form says how long to wait", async ({ page }, info) => {
  // A name of its own: the lock is per user name (and per address, after more failures).
  const name = `locked-${info.project.name}`;
  await page.goto("/login");
  await ready(page, info);
  // Three free attempts, then a lock of 1 s, 2 s, 4 s ... after the last failure: on a slow machine
  // an attempt may come after a short lock is over, so keep trying until one is refused.
  let response = null;
  for (let attempt = 0; attempt < 8; attempt++) {
    await page.getByLabel("Username").fill(name);
    await page.getByLabel("Password").fill("wrong-password");
    const [r] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/login" && r.request().method() === "POST"),
      page.getByRole("button", { name: "Log in" }).click(),
    ]);
    if (r.status() === 429) {
      response = r;
      break;
    }
    await expect(page.getByRole("alert")).toHaveText("Incorrect username or password.");
    await ready(page, info);
  }
  expect(response, "an attempt was refused").not.toBeNull();
  expect(response!.headers()["retry-after"]).toMatch(/^\d+$/);
  await expect(page.getByRole("alert")).toHaveText(/^Too many attempts; try again in \d+ seconds\.$/);
  // The form is there to try again.
  await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
});
