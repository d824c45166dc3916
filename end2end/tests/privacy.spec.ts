import { test, expect, useStudio, recordTransfers } from "./studio";
import { OWNER_PASSWORD, api, base, signIn, token } from "./helpers";

useStudio();

/// A day ahead on the studio's clock (UTC+3).
function ahead(days: number): string {
  return new Date(Date.now() + (3 + 24 * days) * 3600_000).toISOString().slice(0, 10);
}

test("a guest reads the privacy text and asks for their data; staff answer and erase the client", async ({ browser }) => {
  // The guest: /privacy without any WASM, then a request from the manage link.
  const guest = await (await browser.newContext({ locale: "en-GB", viewport: { width: 390, height: 844 } })).newPage();
  const transfers = recordTransfers(guest);
  await guest.goto(`${base()}/privacy`);
  await expect(guest.locator("[data-consent-text]")).toContainText("I agree to the processing");
  await expect(guest.locator("[data-retention]")).toContainText("2555 days");
  const booked = await api("/api/v1/public/bookings", "POST", undefined, {
    space: "studio_a", start_time: `${ahead(3)}T12:00:00+03:00`, end_time: `${ahead(3)}T13:00:00+03:00`,
    people_count: 2, client_name: "Olga Privacy", client_phone: "+7 916 700 70 70",
    client_email: "olga.privacy@example.com", consent: true,
  });
  expect(booked.status).toBe(201);
  await guest.goto(booked.body.manage_url.replace(/^https?:\/\/[^/]+/, base()));
  await guest.getByRole("button", { name: "Request deletion of my data" }).click();
  await expect(guest.locator("[data-requested=erase]")).toContainText("registered");
  expect(transfers.filter((t) => t.url.endsWith(".wasm"))).toEqual([]);
  await guest.screenshot({ path: "test-results/privacy-request.png", fullPage: true });

  // Staff: the request with its due date, closed with what was done.
  const [page, errors] = await signIn(browser, "owner", OWNER_PASSWORD);
  // Through the hydrated app (signIn waits for it): on a page loaded afresh
  // a click before hydration would post the form natively and leave it.
  await page.locator('a.staff-nav__link[href="/staff/requests"]').click();
  await expect(page).toHaveURL(/\/staff\/requests$/);
  const row = page.locator("tr[data-status=open]");
  await expect(row).toContainText("Olga Privacy");
  await expect(row.locator("[data-due]")).toHaveText(/\d{4}-\d{2}-\d{2}/);
  await row.locator("input[name=resolution]").fill("erased, told by phone");
  await row.getByRole("button", { name: "Close" }).click();
  await expect(page.locator("tr[data-status=closed]")).toContainText("erased, told by phone");

  // The client's page: erasure only after a confirmation with a reason.
  await page.goto(`${base()}/staff/clients/+79167007070`);
  await expect(page.locator("h1")).toContainText("Olga Privacy");
  // A page loaded afresh: a click before hydration does nothing, so click
  // until the confirmation shows (opening it twice is harmless).
  await expect(async () => {
    await page.getByRole("button", { name: "Erase personal data…" }).click();
    await expect(page.getByRole("alert").first()).toContainText("cannot be undone", { timeout: 1_000 });
  }).toPass({ timeout: 20_000, intervals: [250, 500, 1000] });
  await page.locator("#pd-erase-reason").fill("client's request of today");
  await page.screenshot({ path: "test-results/privacy-erase.png", fullPage: true });
  await page.getByRole("button", { name: "Erase permanently" }).click();
  await expect(page.locator(".toast--success").last()).toContainText("erased");
  await expect(page).toHaveURL(/\/staff\/clients$/);
  const owner = await token("owner", OWNER_PASSWORD);
  const found = await api("/api/v1/bookings?q=%2B79167007070", "GET", owner);
  expect(found.body.total).toBe(0);
  expect(errors).toEqual([]);
});
