import { defineConfig } from "@playwright/test";

// The consoles against a real hypervisor: Vireo's first-run host is qemu:///system (libvirtd and
// QEMU with KVM, started by scripts/kvm-test.sh), and Chromium opens a VM's serial console and its
// graphical console through Vireo's WebSockets. Run by scripts/kvm-browser-test.sh only where
// /dev/kvm exists; hydrated only (a console needs JavaScript; the no-JS page is in consoles.spec.ts).
const port = Number(process.env.VIREO_E2E_PORT ?? 3998);
const baseURL = `http://127.0.0.1:${port}`;
const server = process.env.VIREO_E2E_SERVER ?? "../target/debug/vireo-server";
const dataDir = process.env.VIREO_E2E_DATA_DIR ?? "/tmp/vireo-e2e-kvm";
export const adminPassword = process.env.VIREO_E2E_ADMIN_PASSWORD ?? "e2e-admin-password";

export default defineConfig({
  testDir: "./kvm",
  timeout: 120_000,
  expect: { timeout: 20_000 },
  forbidOnly: true,
  retries: 0,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    browserName: "chromium",
    javaScriptEnabled: true,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-quic"],
    },
  },
  webServer: {
    command: `exec ${server}`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      VIREO_ADDR: `127.0.0.1:${port}`,
      VIREO_DATA_DIR: dataDir,
      VIREO_SITE_ROOT: "../target/site",
      VIREO_ADMIN_PASSWORD: adminPassword,
      VIREO_DEFAULT_HOST_URI: "qemu:///system",
      RUST_LOG: "warn,vireo_server=info",
    },
  },
});
