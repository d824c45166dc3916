import { test, expect, Page, Browser, useStudio, recordTransfers, bytesOf } from "./studio";

useStudio();

const base = () => process.env.STUDIO_E2E_URL as string;
const REFERENCE = /REF-\d{8}-[A-HJ-NP-Z2-9]{4}/;

/// Opens the booking page of Studio A from the home page and moves to a
/// day ahead, whose hours are all still free.
async function openTomorrow(page: Page, daysAhead: number) {
  await page.goto(`${base()}/`);
  await page.locator("[data-space='studio_a'] a.button").click();
  await expect(page).toHaveURL(/\/book\/studio_a/);
  for (let i = 0; i < daysAhead; i++) {
    await page.locator(".day-picker__nav a").last().click();
    await expect(page.locator("#day-title")).toBeVisible();
  }
}

async function fillAndSubmit(page: Page, name: string) {
  await page.locator("#people_count").fill("3");
  await page.locator("#client_name").fill(name);
  await page.locator("#client_phone").fill("8 (916) 765-43-21");
  await page.locator("#consent").check();
  await page.getByRole("button", { name: /Забронировать|Book now/ }).click();
  await expect(page).toHaveURL(/\/booking\/[0-9a-f]{64}\?new=1/);
  await expect(page.locator("[data-reference]")).toHaveText(REFERENCE);
}

test("a guest books a free hour and sees the reference", async ({ browser }) => {
  const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const transfers = recordTransfers(page);

  await openTomorrow(page, 2);
  const slot = page.locator("a.slot[data-slot-start]").first();
  const start = await slot.getAttribute("data-slot-start");
  await slot.click();
  await expect(page.locator("#form")).toBeVisible();
  // With JavaScript the price follows the form: two hours of Studio A.
  await expect(page.locator("[data-total]")).toHaveText("2 500 ₽");
  await page.locator("#hours").selectOption("2");
  await expect(page.locator("[data-total]")).toHaveText("5 000 ₽");
  await page.screenshot({ path: "test-results/booking-form.png", fullPage: true });
  await fillAndSubmit(page, "Мария Иванова");
  await expect(page.getByText("Спасибо! Бронирование принято.")).toBeVisible();
  await page.screenshot({ path: "test-results/booking-confirmed.png", fullPage: true });

  // The hour is gone from the day's free times.
  const res = await page.request.get(
    `${base()}/api/v1/public/availability?space=studio_a&date=${start!.slice(0, 10)}`,
  );
  const body = await res.json();
  expect(body.slots.map((s: { start_time: string }) => s.start_time)).not.toContain(start);
  // The whole journey downloaded no WASM and at most 20 KB of script.
  expect(transfers.filter((t) => t.url.endsWith(".wasm"))).toEqual([]);
  expect(bytesOf(transfers, /\.js$/)).toBeLessThanOrEqual(20 * 1024);
  expect(errors).toEqual([]);
  await context.close();
});

/// A studio-local date `days` ahead (UTC+3).
function dayAhead(days: number): string {
  return new Date(Date.now() + (3 + 24 * days) * 3600_000).toISOString().slice(0, 10);
}

test("on a slow phone the total shown before booking is the total booked", async ({ browser }) => {
  const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  // A 4G phone with a CPU four times slower than this machine.
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false, latency: 150, downloadThroughput: (4 * 1024 * 1024) / 8, uploadThroughput: (1024 * 1024) / 8,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  const transfers = recordTransfers(page);
  const date = dayAhead(5);
  const start = `${date}T11:00:00+03:00`;
  await page.goto(`${base()}/book/studio_a?date=${date}&start=${encodeURIComponent(start)}#form`, { waitUntil: "commit" });
  // As soon as the form is there, before any script may have run.
  await page.locator("#hours").waitFor();
  await page.locator("#hours").selectOption("3");
  await page.locator("#people_count").fill("7");
  await expect(page.locator("html.js")).toBeAttached();
  await expect(page.locator("[data-price]")).not.toHaveAttribute("aria-busy", "true");
  const shown = (await page.locator("[data-total]").textContent())!.trim();
  await expect(page.locator("[data-end-label]")).toHaveText("14:00");
  await page.locator("#client_name").fill("Ирина Медленная");
  await page.locator("#client_phone").fill("+7 916 700 00 07");
  await page.locator("#consent").check();
  await page.getByRole("button", { name: "Забронировать" }).click();
  await expect(page).toHaveURL(/\/booking\/[0-9a-f]{64}\?new=1/);
  const booked = (await page.locator("[data-total]").textContent())!.trim();
  expect(booked).toBe(shown);
  expect(shown).not.toBe("2 500 ₽");
  expect(transfers.filter((t) => t.url.endsWith(".wasm"))).toEqual([]);
  await context.close();
});

test("the same journey works with JavaScript disabled", async ({ browser }: { browser: Browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: "en-GB" });
  const page = await context.newPage();
  await openTomorrow(page, 3);
  await page.locator("a.slot[data-slot-start]").nth(2).click();
  await expect(page.locator("#form")).toBeVisible();
  await page.locator("#hours").selectOption("1");
  await fillAndSubmit(page, "John Smith");
  await expect(page.getByText("Thank you! Your booking is received.")).toBeVisible();

  // The guest's private page offers cancellation after a confirmation step.
  await page.getByRole("link", { name: "Cancel booking" }).click();
  await expect(page.getByText("Cancel this booking?")).toBeVisible();
  await page.getByRole("button", { name: "Yes, cancel it" }).click();
  await expect(page.getByText("The booking is cancelled.")).toBeVisible();
  await context.close();
});

test("a form with mistakes comes back with the errors next to the fields", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: "en-GB" });
  const page = await context.newPage();
  await openTomorrow(page, 4);
  await page.locator("a.slot[data-slot-start]").first().click();
  await page.locator("#client_name").fill("Kate");
  await page.locator("#client_phone").fill("123");
  // The browser itself insists on the consent box; the server checks the rest.
  await page.locator("#consent").check();
  await page.getByRole("button", { name: "Book now" }).click();
  await expect(page.getByText("Please correct the highlighted fields.")).toBeVisible();
  await expect(page.locator("#client_phone ~ .field__error")).toContainText("Enter a phone number");
  await expect(page.locator("#client_name")).toHaveValue("Kate");
  await page.screenshot({ path: "test-results/booking-errors.png", fullPage: true });
  await context.close();
});
