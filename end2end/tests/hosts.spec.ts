import { expect, test } from "@playwright/test";
import { jsEnabled, openAddHost } from "./helpers";

test("an unreachable host gives a clear error and stores nothing", async ({ page }, info) => {
  const dialog = await openAddHost(page, info);
  const name = `gone-${info.project.name}`;
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Transport").selectOption("ssh");
  // Nothing listens on port 1.
  await dialog.getByLabel(/^Address/).fill("127.0.0.1");
  await dialog.getByLabel(/^User/).fill("nobody");
  await dialog.getByLabel(/^Port/).fill("1");
  if (jsEnabled(info)) {
    // The URI Vireo will build, computed in the browser by the server's own function.
    await expect(dialog.getByLabel("libvirt URI Vireo will use")).toHaveText("qemu+ssh://nobody@127.0.0.1:1/system");
  }
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page.getByRole("alert")).toContainText(
    "Could not connect to qemu+ssh://nobody@127.0.0.1:1/system: the host did not answer",
  );
  await page.goto("/hosts");
  await expect(page.locator("#hosts-grid")).not.toContainText(name);
  await page.goto("/events");
  await expect(page.locator("#events-grid tbody tr").first()).toContainText("Could not connect");
});

test("a hostile address shows a field error and adds nothing", async ({ page }, info) => {
  const dialog = await openAddHost(page, info);
  const name = `hostile-${info.project.name}`;
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Transport").selectOption("ssh");
  // What the pentest did with a raw URI field: a query parameter that runs a program, and a
  // user name that smuggles a second host.
  await dialog.getByLabel(/^Address/).fill("kvm1/system?command=/tmp/vireo-e2e-marker.sh");
  await dialog.getByLabel(/^User/).fill("root@evil");
  if (jsEnabled(info)) {
    await expect(dialog.getByLabel("libvirt URI Vireo will use")).toHaveText("qemu+ssh://[user@]address[:port]/system");
  }
  await dialog.getByRole("button", { name: "OK" }).click();
  const form = page.getByRole("dialog", { name: "Add Host" });
  await expect(form.getByText("Not a host name or IP address")).toBeVisible();
  await expect(form.getByText("A user name may use only letters, digits")).toBeVisible();
  await page.goto("/hosts");
  await expect(page.locator("#hosts-grid")).not.toContainText(name);
  await page.goto("/events");
  await expect(page.locator("#events-grid tbody tr").first()).toContainText("Adding host refused");
  await expect(page.locator("#events-grid")).not.toContainText("/tmp/vireo-e2e-marker.sh");
});

test("adding a simulated host with the small topology", async ({ page }, info) => {
  const dialog = await openAddHost(page, info);
  const name = `small-${info.project.name}`;
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Transport").selectOption("simulated");
  if (jsEnabled(info)) {
    // Fields the transport does not take are disabled (and not sent).
    await expect(dialog.getByLabel(/^Address/)).toBeDisabled();
    await expect(dialog.getByLabel(/^Port/)).toBeDisabled();
    await expect(dialog.getByLabel("libvirt URI Vireo will use")).toHaveText("test:///default");
  }
  await dialog.getByLabel("Simulated topology").selectOption("small-1s4c");
  await dialog.getByRole("button", { name: "OK" }).click();
  await expect(page).toHaveURL(/\/hosts\?selected=/);
  await expect(page.getByRole("dialog")).toHaveCount(0);
  const detail = page.getByRole("region", { name: `Host ${name}` });
  await expect(detail.getByTestId("sockets")).toHaveText("1");
  await expect(detail.getByTestId("cores")).toHaveText("4");
  await expect(detail.getByTestId("threads")).toHaveText("1");
  await expect(detail.getByTestId("invtsc")).toHaveText("no");
});
