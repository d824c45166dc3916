// Checks once that the suite has what every spec's studio needs (the
// release server binary and the built site); each spec file then starts a
// studio of its own (tests/studio.ts).
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export default async function globalSetup() {
  const bin = process.env.STUDIO_SERVER_BIN;
  const siteRoot = process.env.LEPTOS_SITE_ROOT;
  if (!bin || !siteRoot) throw new Error("STUDIO_SERVER_BIN and LEPTOS_SITE_ROOT must be set (make test does)");
  if (!existsSync(resolve(bin))) throw new Error(`no server binary at ${bin}: run make build first`);
  if (!existsSync(resolve(siteRoot, "pkg"))) throw new Error(`no built site at ${siteRoot}: run make build first`);
}
