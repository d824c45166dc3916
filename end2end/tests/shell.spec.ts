import { test, expect, Page, ConsoleMessage, useStudio, recordTransfers, bytesOf } from "./studio";

useStudio();

const base = () => process.env.STUDIO_E2E_URL as string;

/// Collects console errors and uncaught exceptions of a page.
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  return errors;
}

/// Clicks until the page reacts: a click before hydration does nothing, so
/// a reaction proves the WASM app took over the server-rendered page.
async function clickUntil(page: Page, selector: string, check: () => Promise<void>) {
  await expect(async () => {
    await page.locator(selector).click();
    await check();
  }).toPass({ timeout: 20_000, intervals: [250, 500, 1000] });
}

test("the home page is a complete server page: no WASM, a menu that opens on a phone", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "ru-RU" });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const transfers = recordTransfers(page);
  const res = await page.goto(`${base()}/`);
  expect(res?.status()).toBe(200);
  await expect(page.locator("html")).toHaveAttribute("lang", "ru");
  await expect(page.getByRole("heading", { name: "Наши залы" })).toBeVisible();
  await expect(page.locator("[data-space]")).toHaveCount(2);

  const menu = page.locator("button.menu-toggle");
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await clickUntil(page, "button.menu-toggle", async () => {
    await expect(menu).toHaveAttribute("aria-expanded", "true", { timeout: 400 });
  });
  await expect(page.locator("#site-nav")).toBeVisible();
  await page.screenshot({ path: "test-results/home-mobile.png", fullPage: true });
  expect(transfers.filter((t) => t.url.endsWith(".wasm"))).toEqual([]);
  expect(bytesOf(transfers, /\.js$/)).toBeLessThanOrEqual(20 * 1024);
  expect(errors).toEqual([]);
  await context.close();
});

test("the staff shell hydrates and its sidebar collapses", async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${base()}/staff`);
  await expect(page).toHaveURL(/\/staff\/login/);
  await page.locator("#username").fill("owner");
  await page.locator("#password").fill("north light over the river");
  await page.locator("form.login__form button[type=submit]").click();
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.locator(".staff-sidebar")).toBeVisible();
  await clickUntil(page, "button.sidebar-toggle[aria-controls]", async () => {
    await expect(page.locator(".staff")).toHaveClass(/staff--collapsed/, { timeout: 400 });
  });
  await expect(page.locator("button.sidebar-toggle[aria-controls]")).toHaveAttribute("aria-expanded", "false");
  await page.screenshot({ path: "test-results/staff.png" });
  expect(errors).toEqual([]);
});

test("the language switcher changes the page and remembers the choice", async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${base()}/`);
  await page.locator(".site-nav").getByRole("button", { name: "English" }).click();
  await expect(page.getByRole("heading", { name: "Our spaces" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await page.goto(`${base()}/staff/login`);
  await expect(page.getByRole("heading", { name: "Sign in to the studio" })).toBeVisible();
  await page.screenshot({ path: "test-results/home-en.png" });
  expect(errors).toEqual([]);
});

test("the guest pages work with JavaScript disabled", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base()}/`);
  await expect(page.locator("[data-space='studio_a']")).toBeVisible();
  await page.locator(".site-nav").getByRole("button", { name: "English" }).click({ force: true });
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await context.close();
});

test("an unknown address shows a friendly page with a way home", async ({ page }) => {
  const res = await page.goto(`${base()}/no/such/page`);
  expect(res?.status()).toBe(404);
  await expect(page.locator(".empty-state h1")).toBeVisible();
  await expect(page.locator(".empty-state a[href='/']")).toBeVisible();
});
