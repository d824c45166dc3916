import { defineConfig } from "@playwright/test";

// Debian's Chromium, never a downloaded browser. The flags keep it from
// reaching for the network, which this machine does not have. Every spec
// file starts a studio of its own (tests/studio.ts); the live board and
// calendar also run against PostgreSQL.
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  globalSetup: "./server.ts",
  outputDir: "./test-results",
  use: {
    browserName: "chromium",
    headless: true,
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "sqlite" },
    { name: "postgres", testMatch: /(board|calendar)\.spec\.ts$/ },
  ],
});
