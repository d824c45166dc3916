import { test, expect, useStudio, recordTransfers, bytesOf } from "./studio";
import { OWNER_PASSWORD, api, base } from "./helpers";
import type { Browser } from "@playwright/test";

// What a staff member's browser downloads: the first staff page (board or
// calendar) within its budget of WASM and JS as sent (compressed), and the
// code of another page only when it is opened.
useStudio();

// The goal is 400 KB (issue 11). Split by route the board's first load is
// 470,308 bytes and the calendar's 469,235 (brotli), down from 1,124 KB
// (gzip) for the whole app; the budget holds what was reached so that no
// change grows it unnoticed, until the shared core shrinks further. It was
// 450 KB until the guest flow, contacts, dialogs and calendar work of
// issue 14 added ~37 KB (and 2 KB of slack, so that a dialog's new field
// does not fail it by a few hundred bytes): wasm-split keeps every string literal of every
// view (the guest pages' too, whose route tree is still in the hydrate
// build though guest pages never hydrate) in the main module. Taking the
// guest tree out of the hydrate build is the next cut.
const BUDGET = 472 * 1000;

/// A fresh browser (empty cache) already signed in as the owner.
async function signedIn(browser: Browser) {
  const res = await api("/api/v1/auth/login", "POST", undefined, { username: "owner", password: OWNER_PASSWORD });
  expect(res.status).toBe(200);
  const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 1366, height: 800 } });
  await context.addCookies([
    { name: "studio_access", value: res.body.access_token, url: base() },
    { name: "studio_refresh", value: res.body.refresh_token, url: base() },
  ]);
  return context;
}

for (const page of ["board", "calendar"]) {
  test(`the ${page} as the first staff page stays within its download budget`, async ({ browser }) => {
    const context = await signedIn(browser);
    const tab = await context.newPage();
    const transfers = recordTransfers(tab);
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    await tab.goto(`${base()}/staff/${page}`);
    await expect(tab.locator(".live-status--on")).toBeVisible();
    const code = bytesOf(transfers, /\.(wasm|js)$/);
    console.log(`${page}: ${transfers.filter((t) => /\.(wasm|js)$/.test(t.url)).length} files, ${code} bytes of WASM and JS`);
    expect(code).toBeGreaterThan(0);
    expect(code).toBeLessThanOrEqual(BUDGET);
    expect(errors).toEqual([]);
    await context.close();
  });
}

test("opening another page fetches only that page's code", async ({ browser }) => {
  const context = await signedIn(browser);
  const tab = await context.newPage();
  await tab.goto(`${base()}/staff/board`);
  await expect(tab.locator(".live-status--on")).toBeVisible();
  const transfers = recordTransfers(tab);
  await tab.getByRole("link", { name: "Клиенты" }).click();
  await expect(tab).toHaveURL(/\/staff\/clients/);
  await expect(tab.locator("h1")).toBeVisible();
  const fetched = transfers.filter((t) => /\.(wasm|js)$/.test(t.url)).map((t) => new URL(t.url).pathname);
  expect(fetched.length).toBeGreaterThan(0);
  expect(fetched.filter((p) => /\/studio\.[^/]*\.wasm$/.test(p))).toEqual([]);
  await context.close();
});
