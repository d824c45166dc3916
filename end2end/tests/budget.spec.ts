import { test, expect, useStudio, recordTransfers, bytesOf } from "./studio";
import { OWNER_PASSWORD, api, base } from "./helpers";
import type { Browser } from "@playwright/test";

// What a staff member's browser downloads: the first staff page (board or
// calendar) within its budget of WASM and JS as sent (compressed), and the
// code of another page only when it is opened.
useStudio();

// The budget is issue 11's: 400 KB as sent. Split by route, the board's
// first load was 470 KB and then 417 KB with the guest tree out of the
// hydrate build; erasing component types in the release build too
// (`always-erase-components`) took it to about 385 KB (board) and 384 KB
// (calendar), from 1,124 KB (gzip) for the whole app before the split.
const BUDGET = 400 * 1000;

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
