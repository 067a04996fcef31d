import { expect, test } from "@playwright/test";
import { adminPassword, login } from "./helpers";

// The Content-Security-Policy must let the hydrated app do everything it does (inline hydration
// scripts with the nonce, the wasm bundle, live updates) and the browser must report no violation.
test("every section hydrates under the Content-Security-Policy without a violation", async ({ page }, info) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const consoleViolations: string[] = [];
  page.on("console", (msg) => {
    if (msg.text().includes("Content Security Policy")) consoleViolations.push(msg.text());
  });

  const response = await page.goto("/login");
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' 'nonce-");
  expect(csp).toContain("frame-ancestors 'none'");

  await login(page, info, "/vms");
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const section of ["Templates", "Pools", "Hosts", "Data Centers", "Clusters", "Events", "Virtual Machines"]) {
    await nav.getByRole("link", { name: section, exact: true }).click();
    await expect(page.getByRole("heading", { name: section, level: 1 })).toBeVisible();
  }
  // A full page load of a page with resources (their data are inline scripts too).
  await page.goto("/clusters");
  await expect(page.locator("#vireo-root")).toHaveAttribute("data-hydrated", "true");

  const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  expect(violations).toEqual([]);
  expect(consoleViolations).toEqual([]);
});

// Login CSRF: a form on another site that signs the visitor in (to the attacker's account) is
// refused; the browser sends `Origin: null` / `Sec-Fetch-Site: cross-site` for it.
test("a login form posted from another site is refused", async ({ page, baseURL, context }) => {
  await page.setContent(`
    <form method="post" action="${baseURL}/login">
      <input name="username" value="admin">
      <input name="password" value="${adminPassword}">
      <input name="next" value="/vms">
      <button>Go</button>
    </form>`);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/login") && r.request().method() === "POST"),
    page.getByRole("button", { name: "Go" }).click(),
  ]);
  expect(response.status()).toBe(403);
  await expect(page.getByText("Cross-site request refused.")).toBeVisible();
  const cookies = await context.cookies();
  expect(cookies.filter((c) => c.name === "vireo_session")).toEqual([]);
});
