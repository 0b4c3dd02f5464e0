import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The release binary under test (set by `cargo xtask test`), started on a fresh SQLite file.
const bin = process.env.LICENSEDESK_BIN ?? path.resolve(__dirname, '../target/release/licensedesk');
const port = Number(process.env.LICENSEDESK_E2E_PORT ?? 3107);
const dataDir = process.env.LICENSEDESK_E2E_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'licensedesk-e2e-'));
process.env.LICENSEDESK_E2E_DIR = dataDir; // workers re-read this file; keep one directory

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      // The simulated volume licensing service, from the same binary.
      command: `"${bin}" simulator --listen 127.0.0.1:${port + 1}`,
      port: port + 1,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      // The simulated app stores (Apple at /mdm/v2, Microsoft at /V1), from the same binary.
      command: `"${bin}" store-simulator --listen 127.0.0.1:${port + 3} --apps 40 --assignments 30`,
      port: port + 3,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      // Run from the empty data directory: the binary needs nothing beside it.
      command: `cd "${dataDir}" && exec "${bin}" serve --listen 127.0.0.1:${port} --database-url sqlite://${dataDir}/e2e.db --licensing-url http://127.0.0.1:${port + 1} --apple-store-url http://127.0.0.1:${port + 3}/mdm/v2 --microsoft-store-url http://127.0.0.1:${port + 3}`,
      url: `http://127.0.0.1:${port}/readyz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
    {
      // A second portal with the demo organization (billing history needs months of data).
      command: `cd "${dataDir}" && exec "${bin}" serve --demo --listen 127.0.0.1:${port + 2} --database-url sqlite://${dataDir}/demo.db --licensing-url http://127.0.0.1:${port + 1}`,
      url: `http://127.0.0.1:${port + 2}/readyz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
