import { expect, test } from "@playwright/test";
import { chunkPattern, chunkRequests, login, ready } from "./helpers";

// The pages inside the shell but the VM grid are wasm chunks of their own, in three parts
// (components/lazy_page.rs): the Dashboard (`home`), the Template, Pool and Host grids (`grids`) and
// the rest (`pages`). The VM grid hydrates without them and fetches them once interactive, so the navigation does not wait; a
// page of a part that arrives from the server fetches its part before hydrating, and only its part;
// a failed download is an error in the page's place that the next link retries. (That the first load leaves them out is what `make bench-bundle` measures.)

const chunk = chunkPattern("vireo_pages");
const parts = { home: chunkPattern("vireo_home"), grids: chunkPattern("vireo_grids"), pages: chunk };

test("the other pages' code is fetched once, after the grid is interactive, and the navigation reuses it", async ({
  page,
}, info) => {
  const requests = chunkRequests(page, chunk);
  await login(page, info, "/vms");
  await expect.poll(() => requests.length, { message: "fetched after hydrating" }).toBe(1);

  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [link, heading] of [
    ["Data Centers", "Data Centers"],
    ["Dashboard", "Dashboard"],
    ["Events", "Events"],
    ["Virtual Machines", "Virtual Machines"],
    ["Clusters", "Clusters"],
  ]) {
    await nav.getByRole("link", { name: link, exact: true }).click();
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "Loading" })).toHaveCount(0);
  }
  expect(requests, "every page reuses the chunk").toHaveLength(1);
});

test("a page of the chunk that arrives from the server fetches it before hydrating, and works", async ({
  page,
}, info) => {
  const requests = chunkRequests(page, chunk);
  await login(page, info, "/vms");
  await expect.poll(() => requests.length).toBe(1);

  await page.goto("/datacenters?dialog=new");
  await ready(page, info);
  expect(requests, "fetched before hydrating, not again after").toHaveLength(2);

  // Hydrated: the dialog's form holds what is typed, and Cancel closes it.
  const dialog = page.getByRole("dialog", { name: "New Data Center" });
  await dialog.getByLabel("Name").fill("typed-in-the-browser");
  await expect(dialog.getByLabel("Name")).toHaveValue("typed-in-the-browser");
  await dialog.getByRole("link", { name: "Cancel" }).click();
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page).toHaveURL(/\/datacenters(\?|$)/);
  // A page of the main bundle is a click away, and back.
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Virtual Machines", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Virtual Machines", level: 1 })).toBeVisible();
  await nav.getByRole("link", { name: "Clusters", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Clusters", level: 1 })).toBeVisible();
  expect(requests).toHaveLength(2);
});

test("a page whose code does not download is an error in its place, and the next link tries again", async ({
  page,
}, info) => {
  // Blocked from the start: the fetch after hydrating fails too, silently.
  await page.route(chunk, (route) => route.abort("connectionfailed"));
  await login(page, info, "/vms");
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Events", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("could not download this part of Vireo");
  // The shell is still alive: the VM grid is a click away.
  await nav.getByRole("link", { name: "Virtual Machines", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Virtual Machines", level: 1 })).toBeVisible();

  await page.unroute(chunk);
  await nav.getByRole("link", { name: "Events", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Events", level: 1 })).toBeVisible();
  await expect(page.getByRole("alert")).toHaveCount(0);
});

test("a page of a part hydrates with only its part's chunk: the others may fail to download", async ({
  page,
}, info) => {
  await login(page, info, "/vms");
  for (const [url, own, heading] of [
    ["/", "home", "Dashboard"],
    ["/hosts?dialog=add", "grids", "Hosts"],
    ["/templates?dialog=new", "grids", "Templates"],
    ["/datacenters?dialog=new", "pages", "Data Centers"],
  ] as const) {
    // The other parts' chunks are blocked: the prefetch after hydrating fails, silently.
    for (const [name, pattern] of Object.entries(parts)) {
      if (name !== own) await page.route(pattern, (route) => route.abort("connectionfailed"));
    }
    const requests = chunkRequests(page, parts[own]);
    await page.goto(url);
    await ready(page, info);
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    expect(requests.length, `${url} fetched its part`).toBeGreaterThanOrEqual(1);
    await page.unrouteAll();
  }
  // Hydrated: the page's New dialog is live.
  const dialog = page.getByRole("dialog", { name: "New Data Center" });
  await dialog.getByLabel("Name").fill("typed-in-the-browser");
  await expect(dialog.getByLabel("Name")).toHaveValue("typed-in-the-browser");
});

test("the login page fetches the Dashboard's chunk once interactive: a login lands there", async ({ page }, info) => {
  const home = chunkRequests(page, parts.home);
  await page.goto("/login");
  await ready(page, info);
  await expect.poll(() => home.length, { message: "prefetched on the login page" }).toBe(1);
});
