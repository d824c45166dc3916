// Each spec file gets a studio of its own: the release server on a free
// loopback port with a fresh data directory and a fresh database (SQLite, or
// a new PostgreSQL database for the "postgres" project), and the first owner
// created as a new studio would create it. Any spec runs alone and in any
// order. Every browser context of the suite is watched for Content Security
// Policy violations: a test fails on the first one.
import { test as base, expect, BrowserContext, ConsoleMessage } from "@playwright/test";
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";

export const OWNER_PASSWORD = "north light over the river";

export type Studio = {
  url: string;
  dataDir: string;
  backend: "sqlite" | "postgres";
  /// The token of /setup, for a studio started without an owner.
  setupToken: string | null;
  stop: () => Promise<void>;
};

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => ok(port));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server at ${url} not healthy after ${ms} ms`);
}

const adminUrl = () => process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

function psql(sql: string) {
  const res = spawnSync("psql", [adminUrl(), "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`psql failed: ${res.stderr || res.error}`);
}

/// Starts a studio; `env` overrides the server's configuration. With
/// `owner: false` no owner is created: the studio is set up at /setup with
/// the token the server prints.
export async function startStudio(
  backend: "sqlite" | "postgres",
  env: Record<string, string> = {},
  options: { owner?: boolean } = {},
): Promise<Studio> {
  const bin = process.env.STUDIO_SERVER_BIN;
  const siteRoot = process.env.LEPTOS_SITE_ROOT;
  if (!bin || !siteRoot) throw new Error("STUDIO_SERVER_BIN and LEPTOS_SITE_ROOT must be set (make test does)");
  const dataDir = mkdtempSync(join(tmpdir(), "studio-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let databaseUrl = `sqlite://${join(dataDir, "studio.db")}`;
  let pgName: string | null = null;
  if (backend === "postgres") {
    pgName = `studio_e2e_${randomBytes(8).toString("hex")}`;
    psql(`CREATE DATABASE "${pgName}"`);
    databaseUrl = adminUrl().replace(/\/[^/?]*(\?.*)?$/, `/${pgName}$1`);
  }
  const serverEnv = {
    ...process.env,
    STUDIO_ADDR: `127.0.0.1:${port}`,
    STUDIO_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    LEPTOS_SITE_ROOT: resolve(siteRoot),
    STUDIO_LOG: "warn",
    STUDIO_SECRET_KEY: randomBytes(32).toString("hex"),
    // A spec signs in several times from one address within a minute; the
    // per-address limit itself is covered by the Rust tests.
    STUDIO_PUBLIC_RATE_PER_MINUTE: "600",
    STUDIO_PUBLIC_BURST: "100",
    ...env,
  };
  if (options.owner !== false) {
    const owner = spawnSync(
      resolve(bin),
      ["create-owner", "--username", "owner", "--email", "owner@studio.test", "--full-name", "Olga Owner"],
      { env: serverEnv, input: `${OWNER_PASSWORD}\n`, encoding: "utf8" },
    );
    if (owner.status !== 0) throw new Error(`create-owner failed: ${owner.stderr}`);
  }
  const child = spawn(resolve(bin), ["serve"], { env: serverEnv, stdio: ["ignore", "pipe", "inherit"] });
  let setupToken: string | null = null;
  let printed = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    process.stdout.write(text);
    printed += text;
    const found = /setup token ([0-9a-f]{32})/.exec(printed);
    if (found) setupToken = found[1];
  });
  await waitHealthy(url, child, 30_000);
  if (options.owner === false) {
    const deadline = Date.now() + 5_000;
    while (!setupToken && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!setupToken) throw new Error("the server printed no setup token");
  }
  return {
    url,
    dataDir,
    backend,
    setupToken,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      rmSync(dataDir, { recursive: true, force: true });
      if (pgName) psql(`DROP DATABASE IF EXISTS "${pgName}" WITH (FORCE)`);
    },
  };
}

let current: Studio | null = null;

/// The studio of the running spec file.
export function studio(): Studio {
  if (!current) throw new Error("useStudio() was not called in this spec file");
  return current;
}

/// Gives the spec file a fresh studio, stopped after its last test.
export function useStudio(env: Record<string, string> = {}, options: { owner?: boolean } = {}) {
  base.beforeAll(async ({}, testInfo) => {
    testInfo.setTimeout(60_000);
    const backend = testInfo.project.name === "postgres" ? "postgres" : "sqlite";
    current = await startStudio(backend, env, options);
    process.env.STUDIO_E2E_URL = current.url;
    process.env.STUDIO_E2E_DATA_DIR = current.dataDir;
  });
  base.afterAll(async () => {
    await current?.stop();
    current = null;
  });
}

const violations: string[] = [];

function watch(context: BrowserContext) {
  context.on("console", (m: ConsoleMessage) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(`${m.location().url}: ${m.text()}`);
  });
}

/// `test` of the suite: the Content-Security-Policy of every page each test
/// opens, in any context, must hold without a single violation.
export const test = base.extend<{ cspGuard: void }, { cspWatch: void }>({
  cspWatch: [
    async ({ browser }, use) => {
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (options) => {
        const context = await newContext(options);
        watch(context);
        return context;
      };
      await use();
    },
    { scope: "worker", auto: true },
  ],
  cspGuard: [
    async ({ context }, use) => {
      watch(context);
      violations.length = 0;
      await use();
      expect(violations, "Content Security Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export type Transfer = { url: string; bytes: number };

/// Records what a page downloads: every finished request with the bytes
/// that crossed the wire for its body (compressed as sent).
export function recordTransfers(page: import("@playwright/test").Page): Transfer[] {
  const transfers: Transfer[] = [];
  page.on("requestfinished", async (request) => {
    const sizes = await request.sizes().catch(() => null);
    transfers.push({ url: request.url(), bytes: sizes ? sizes.responseBodySize : 0 });
  });
  return transfers;
}

/// Bytes of the recorded transfers whose address matches `pattern`.
export function bytesOf(transfers: Transfer[], pattern: RegExp): number {
  return transfers.filter((t) => pattern.test(new URL(t.url).pathname)).reduce((sum, t) => sum + t.bytes, 0);
}
