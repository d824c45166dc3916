// Starts the release server on a free loopback port with a fresh data
// directory (and so a fresh SQLite database), waits until it is healthy,
// and stops it after the suite.
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const OWNER_PASSWORD = "north light over the river";

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
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} not healthy after ${ms} ms`);
}

export default async function globalSetup() {
  const bin = process.env.STUDIO_SERVER_BIN;
  const siteRoot = process.env.LEPTOS_SITE_ROOT;
  if (!bin || !siteRoot) throw new Error("STUDIO_SERVER_BIN and LEPTOS_SITE_ROOT must be set (make test does)");
  const dataDir = mkdtempSync(join(tmpdir(), "studio-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    STUDIO_ADDR: `127.0.0.1:${port}`,
    STUDIO_DATA_DIR: dataDir,
    DATABASE_URL: `sqlite://${join(dataDir, "studio.db")}`,
    LEPTOS_SITE_ROOT: resolve(siteRoot),
    STUDIO_LOG: "warn",
    // The suite signs in a dozen times from one address within a minute;
    // the per-address limit itself is covered by the Rust tests.
    STUDIO_PUBLIC_RATE_PER_MINUTE: "600",
    STUDIO_PUBLIC_BURST: "100",
  };
  // The studio's first owner, as a new studio would create it.
  const owner = spawnSync(
    resolve(bin),
    ["create-owner", "--username", "owner", "--email", "owner@studio.test", "--full-name", "Olga Owner"],
    { env, input: `${OWNER_PASSWORD}\n`, encoding: "utf8" },
  );
  if (owner.status !== 0) throw new Error(`create-owner failed: ${owner.stderr}`);
  const child = spawn(resolve(bin), ["serve"], { env, stdio: ["ignore", "inherit", "inherit"] });
  await waitHealthy(url, child, 30_000);
  process.env.STUDIO_E2E_URL = url;
  process.env.STUDIO_E2E_DATA_DIR = dataDir;
  return async () => {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dataDir, { recursive: true, force: true });
  };
}
