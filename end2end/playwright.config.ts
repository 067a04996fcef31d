import { defineConfig } from "@playwright/test";

// Browser tests against a freshly started Vireo (debug build, own data folder and PostgreSQL cluster,
// libvirt test driver) in Debian's Chromium. Every spec runs twice: hydrated, and with JavaScript off.
const port = Number(process.env.VIREO_E2E_PORT ?? 3999);
const baseURL = `http://127.0.0.1:${port}`;
const server = process.env.VIREO_E2E_SERVER ?? "../target/debug/vireo-server";
const dataDir = process.env.VIREO_E2E_DATA_DIR ?? "/tmp/vireo-e2e";
export const adminPassword = process.env.VIREO_E2E_ADMIN_PASSWORD ?? "e2e-admin-password";

const chromium = {
  browserName: "chromium" as const,
  launchOptions: {
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  },
};

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: true,
  retries: 0,
  // One server, one database: tests that write run in a fixed order within a file.
  workers: 1,
  // The JSON file feeds the failure digest `make test` prints last (end2end/failure-digest.mjs).
  reporter: [["list"], ["json", { outputFile: "playwright-report/results.json" }]],
  use: { baseURL, trace: "retain-on-failure", ...chromium },
  projects: [
    { name: "hydrated", use: { javaScriptEnabled: true } },
    // What only makes sense with JavaScript (updates without a reload) lives in *.hydrated.spec.ts.
    { name: "no-js", use: { javaScriptEnabled: false }, testIgnore: /.*\.hydrated\.spec\.ts/ },
  ],
  webServer: {
    // A seeded set for the grid tests (120 VMs named grid-00001…, three pools), then the server.
    command: `${server} seed 120 --prefix grid && exec ${server}`,
    url: `${baseURL}/healthz`,
    // Refuse to run against whatever else holds the port: a stale server would make tests lie.
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      VIREO_ADDR: `127.0.0.1:${port}`,
      VIREO_DATA_DIR: dataDir,
      VIREO_SITE_ROOT: "../target/site",
      VIREO_ADMIN_PASSWORD: adminPassword,
      // Usage samples every 2 s, so the usage chart spec sees a chart within seconds.
      VIREO_SAMPLE_INTERVAL: "2",
      RUST_LOG: "warn,vireo_server=info",
    },
  },
});
