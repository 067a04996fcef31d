import { expect, test } from "@playwright/test";
import { execFileSync } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { jsEnabled, login, ready } from "./helpers";

// Uploading an image needs a real libvirtd (qemu:///system: the test driver has no upload);
// scripts/test.sh starts it with its QEMU driver before Playwright. The pool is made with virsh
// before the host is added, so Vireo finds it as a storage domain when it reads the host's pools,
// and removed again at the end: the daemon outlives this run.
const URI = "qemu:///system";
const suffix = `${process.pid}-${Date.now()}`;
const poolName = `e2e-upload-${suffix}`;
let scratch = "";

function virsh(...args: string[]): string {
  return execFileSync("virsh", ["-c", URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

test.afterAll(() => {
  for (const step of [["pool-destroy", poolName], ["pool-undefine", poolName]]) {
    try {
      virsh(...step);
    } catch {
      // Not made (the JavaScript-off run) or already gone.
    }
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("an image uploads with its progress shown, or the page says it needs JavaScript", async ({ page }, info) => {
  if (!jsEnabled(info)) {
    await login(page, info, "/disks/upload");
    const note = page.getByRole("note");
    await expect(note).toContainText("Uploading an image needs JavaScript");
    await expect(note).toContainText("virsh vol-upload");
    await expect(page.getByLabel("File")).toHaveCount(0);
    return;
  }
  test.setTimeout(180_000);
  scratch = mkdtempSync(join(tmpdir(), "vireo-e2e-upload-"));
  // A 64 MiB qcow2 that really holds 64 MiB: random data converted from raw.
  const raw = join(scratch, "random.raw");
  const image = join(scratch, "e2e-disk.qcow2");
  execFileSync("sh", ["-c", `head -c 64M /dev/urandom > "${raw}"`]);
  execFileSync("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", raw, image]);
  virsh("pool-define-as", poolName, "dir", "--target", join(scratch, "pool"));
  virsh("pool-build", poolName);
  virsh("pool-start", poolName);

  await login(page, info, "/hosts");
  // The QEMU host goes into a cluster of its own, so no other test's VM is placed on it.
  const clusterName = `upload-${suffix}`;
  const cluster = await page.request.post("/api/save_cluster", {
    form: { name: clusterName, compat_version: "4.8", cpu_arch: "x86_64" },
    maxRedirects: 0,
  });
  expect(cluster.status(), await cluster.text()).toBeLessThan(400);
  const clusters = await (await page.request.get("/api/list_clusters")).json();
  const clusterId = clusters.find((c: { name: string }) => c.name === clusterName).id;
  const host = await page.request.post("/api/add_host", {
    form: { name: `qemu-${suffix}`, cluster_id: clusterId, transport: "local" },
    maxRedirects: 0,
  });
  expect(host.status(), await host.text()).toBeLessThan(400);

  await page.goto("/disks/upload");
  await ready(page, info);
  await page.getByLabel("File").setInputFiles(image);
  // Guessed from the file: the name from its stem, the format from its extension.
  await expect(page.getByLabel("Name")).toHaveValue("e2e-disk");
  await expect(page.getByLabel("Format")).toHaveValue("qcow2");
  const domain = page.getByLabel("Storage Domain");
  const option = domain.locator("option", { hasText: poolName });
  await domain.selectOption(await option.getAttribute("value"));
  await page.getByRole("button", { name: "Upload" }).click();

  const done = page.locator("#upload-done");
  await expect(done).toContainText("Disk e2e-disk uploaded", { timeout: 120_000 });
  await expect(done).toContainText("64 MiB (QCOW2), OK");
  await expect(page.locator("#upload-progress")).toHaveAttribute("value", "100");
  await expect(page.locator("#upload-progress-text")).toContainText("100%");
  await expect(page.getByRole("button", { name: "Cancel" })).toHaveCount(0);
  // The volume is on the host, as libvirt lists it.
  virsh("pool-refresh", poolName);
  expect(virsh("vol-list", "--pool", poolName)).toContain(".qcow2");

  // Uploading it again as Raw is refused with a field error before a byte is sent (the browser
  // runs the server's head check on the file's first 32 KiB); nothing new stays.
  await page.getByLabel("Format").selectOption("raw");
  await page.getByLabel("Name").fill("e2e-disk-raw");
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.locator(".field-error")).toContainText("This file is a qcow2 image");
  await expect(page.locator("#upload-progress-text")).toHaveText(/^0% — 0 B of 64(\.\d)? MiB$/);
  virsh("pool-refresh", poolName);
  const volumes = virsh("vol-list", "--pool", poolName)
    .split("\n")
    .filter((line) => line.trim().startsWith("vireo-"));
  expect(volumes).toHaveLength(1);
});
