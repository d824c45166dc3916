import { test, expect, useStudio } from "./studio";
import { OWNER_PASSWORD, api, base, token } from "./helpers";
import type { BrowserContext } from "@playwright/test";

// Access tokens that expire five seconds after they are issued: a session
// must survive their renewal on full page loads and in parallel tabs.
useStudio({ STUDIO_ACCESS_TOKEN_TTL: "5" });

/// Waits until the browser has dropped the expired access cookie.
async function accessExpired(context: BrowserContext) {
  await expect
    .poll(async () => (await context.cookies()).some((c) => c.name === "studio_access"), { timeout: 20_000, intervals: [500] })
    .toBe(false);
}

test("staff stay signed in when the access token expires, on reloads and in two tabs at once", async ({ browser }) => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1366, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base()}/staff/login`);
  await page.locator("main.login[data-ready]").waitFor();
  await page.locator("#username").fill("owner");
  await page.locator("#password").fill(OWNER_PASSWORD);
  await page.locator("form.login__form button[type=submit]").click();
  await expect(page).toHaveURL(/\/staff$/);

  await accessExpired(context);
  for (let i = 0; i < 3; i++) {
    await page.reload();
    await expect(page).toHaveURL(/\/staff$/);
    await expect(page.locator("[data-column]").first()).toBeVisible();
  }

  await accessExpired(context);
  const second = await context.newPage();
  await Promise.all([page.goto(`${base()}/staff/calendar`), second.goto(`${base()}/staff/bookings`)]);
  await expect(page).toHaveURL(/\/staff\/calendar/);
  await expect(second).toHaveURL(/\/staff\/bookings/);
  await expect(page.locator(".staff-sidebar")).toBeVisible();
  await expect(second.locator(".staff-sidebar")).toBeVisible();

  // Both tabs keep working after the renewal.
  await page.reload();
  await expect(page).toHaveURL(/\/staff\/calendar/);

  const owner = await token("owner", OWNER_PASSWORD);
  const alarms = await api("/api/v1/audit?action=refresh_token_reused", "GET", owner);
  expect(alarms.status).toBe(200);
  expect(alarms.body.total).toBe(0);
  expect(errors).toEqual([]);
  await context.close();
});
