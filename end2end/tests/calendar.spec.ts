import { test, expect, useStudio } from "./studio";
import { ADMIN_PASSWORD, OWNER_PASSWORD, api, base, createEmployee, signIn, token } from "./helpers";

useStudio();

test.beforeAll(async () => {
  await createEmployee("anton", "Anton Admin", "admin", ADMIN_PASSWORD);
});

/// Two days ahead on the studio's clock (UTC+3): clear of the board tests.
function dayAfterTomorrow(): string {
  return new Date(Date.now() + (3 + 48) * 3600_000).toISOString().slice(0, 10);
}

test("a booking made on an empty hour is dragged to another hour, shows on the board, and moves live elsewhere", async ({ browser }) => {
  const day = dayAfterTomorrow();
  const slot = (hour: string) => `[data-slot-start="${day}T${hour}:00:00+03:00"][data-space="studio_b"]`;
  const [a, errorsA] = await signIn(browser, "owner", OWNER_PASSWORD, 1000);
  const [b, errorsB] = await signIn(browser, "anton", ADMIN_PASSWORD, 1000);
  for (const page of [a, b]) {
    await page.goto(`${base()}/staff/calendar?date=${day}&view=day`);
    await expect(page.locator(".live-status--on")).toBeVisible();
  }

  // Click an empty hour: the dialog takes the client and books it there.
  await a.locator(slot("11")).click();
  await expect(a.getByRole("dialog")).toContainText("Studio B");
  await a.locator("#nb-name").fill("Kira Calendar");
  await a.locator("#nb-phone").fill("+7 916 222 33 44");
  await a.locator("#nb-source").selectOption("walk_in");
  // The total is shown before booking and follows hours and people.
  await expect(a.locator("[data-quote] strong")).toHaveText("₽1,800");
  await a.locator("#nb-hours").fill("2");
  await expect(a.locator("[data-quote] strong")).toHaveText("₽3,600");
  await a.locator("#nb-people").fill("4");
  await expect(a.locator("[data-quote] strong")).toHaveText("₽4,100");
  await a.locator("#nb-hours").fill("1");
  await a.locator("#nb-people").fill("2");
  await expect(a.locator("[data-quote] strong")).toHaveText("₽1,800");
  await a.locator("#nb-email").fill("kira@example.ru");
  await a.locator("#nb-notes").fill("Bring the grey backdrop");
  // The client's verbal consent is recorded with the booking.
  await a.locator("#nb-consent").check();
  await a.getByRole("button", { name: "Book now" }).click();
  const booking = a.locator('[data-space="studio_b"] .cal-booking', { hasText: "Kira Calendar" });
  await expect(booking).toBeVisible();
  const id = (await booking.getAttribute("data-booking-id"))!;
  const saved = await api(`/api/v1/bookings/${id}`, "GET", await token("owner", OWNER_PASSWORD));
  expect([saved.body.client_email, saved.body.notes, saved.body.total_price]).toEqual(["kira@example.ru", "Bring the grey backdrop", 180000]);
  await expect(b.locator(`[data-booking-id="${id}"]`)).toBeVisible({ timeout: 3_000 });

  // Drag it to 14:00: saved, and the other screen follows.
  await booking.dragTo(a.locator(slot("14")));
  await expect(a.locator(".toast--success").last()).toContainText("Kira Calendar");
  await expect(a.locator(`[data-booking-id="${id}"]`)).toHaveAttribute("title", /14:00–15:00/);
  await expect(b.locator(`[data-booking-id="${id}"]`)).toHaveAttribute("title", /14:00–15:00/, { timeout: 3_000 });
  await a.screenshot({ path: "test-results/calendar.png", fullPage: true });

  // A drop onto a taken hour snaps back with a message.
  await a.locator(slot("10")).click();
  await a.locator("#nb-name").fill("Lev Early");
  await a.locator("#nb-phone").fill("+7 916 222 33 45");
  await a.locator("#nb-consent").check();
  await a.getByRole("button", { name: "Book now" }).click();
  await expect(a.locator('[data-space="studio_b"] .cal-booking', { hasText: "Lev Early" })).toBeVisible();
  // The taken hour lies under Lev's booking, which stops catching the pointer
  // while a drag is on: force skips Playwright's own hit test before the drag.
  await a.locator(`[data-booking-id="${id}"]`).dragTo(a.locator(slot("10")), { force: true });
  await expect(a.locator(".toast--error")).toContainText("This time is taken");
  await expect(a.locator(`[data-booking-id="${id}"]`)).toHaveAttribute("title", /14:00–15:00/);

  // On the board, in Confirmed.
  await a.goto(`${base()}/staff/board?from=${day}&to=${day}`);
  await expect(a.locator(`[data-column="confirmed"] [data-booking-id="${id}"]`)).toBeVisible();
  expect(errorsA).toEqual([]);
  expect(errorsB).toEqual([]);
});

test("the owner edits the studio's settings and adds equipment", async ({ browser }) => {
  const [page, errors] = await signIn(browser, "owner", OWNER_PASSWORD);
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Booking rules" })).toBeVisible();
  await page.locator("#s-cancel").fill("12");
  await page.getByRole("button", { name: "Save" }).first().click();
  await expect(page.locator(".toast--success").first()).toContainText("Saved");
  await expect(page.locator("#s-cancel")).toHaveValue("12");
  const row = page.locator("table.settings-table").nth(1).locator("tbody tr").last();
  await row.locator('input[name="name"]').fill("Reflector 5-in-1");
  await row.locator('input[name="price"]').fill("300");
  await row.locator('input[name="stock"]').fill("3");
  await row.getByRole("button", { name: "Add" }).click();
  await expect(page.locator('input[name="name"][value="Reflector 5-in-1"]')).toHaveCount(1);
  // The add row is empty again, ready for the next item.
  await expect(page.locator("table.settings-table").nth(1).locator("tbody tr").last().locator('input[name="name"]')).toHaveValue("");
  await page.screenshot({ path: "test-results/settings.png", fullPage: true });
  expect(errors).toEqual([]);
});

test("blocked time is added, changed and removed from the calendar", async ({ browser }) => {
  const day = dayAfterTomorrow();
  const [page, errors] = await signIn(browser, "owner", OWNER_PASSWORD, 1000);
  await page.goto(`${base()}/staff/calendar?date=${day}&view=day`);
  // The button works once the page is live (hydrated and connected).
  await expect(page.locator(".live-status--on")).toBeVisible();
  await page.getByRole("button", { name: "Block time" }).click();
  await page.locator("#bl-space").selectOption("studio_a");
  await page.locator("#bl-reason").fill("Backdrop repair");
  await page.locator("#bl-start").fill(`${day}T18:00`);
  await page.locator("#bl-end").fill(`${day}T20:00`);
  await page.locator(".block-form button[type=submit]").click();
  const block = page.locator('[data-space="studio_a"] .cal-block');
  await expect(block).toContainText("Backdrop repair");
  await block.locator(".cal-block__edit").click();
  await expect(page.locator("#bl-reason")).toHaveValue("Backdrop repair");
  await page.locator("#bl-reason").fill("Backdrop repair, part two");
  await page.locator(".block-form button[type=submit]").click();
  await expect(block).toContainText("part two");
  await block.locator(".cal-block__remove").click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Remove this block" }).click();
  await expect(block).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("the new-booking dialog finds clients on file by surname in any case or by a dictated phone", async ({ browser }) => {
  const day = new Date(Date.now() + (3 + 24 * 9) * 3600_000).toISOString().slice(0, 10);
  const created = await api("/api/v1/public/bookings", "POST", undefined, {
    space: "studio_a", start_time: `${day}T10:00:00+03:00`, end_time: `${day}T11:00:00+03:00`, people_count: 2,
    client_name: "Ольга Смирнова", client_phone: "+7 903 555-12-34", consent: true,
  });
  expect(created.status).toBe(201);
  const [page, errors] = await signIn(browser, "owner", OWNER_PASSWORD, 900, 1366, { locale: "ru-RU" });
  await page.goto(`${base()}/staff/calendar?date=${day}&view=day`);
  await expect(page.locator(".live-status--on")).toBeVisible();
  const slot = page.locator(`[data-slot-start="${day}T15:00:00+03:00"][data-space="studio_b"]`);

  await slot.click();
  await page.locator("#nb-name").pressSequentially("смирн");
  const suggestion = page.locator("[data-client-suggest] button", { hasText: "Ольга Смирнова" });
  await expect(suggestion).toContainText("+7 903 555-12-34");
  await page.getByRole("dialog").screenshot({ path: "test-results/calendar-lookup.png" });
  await suggestion.click();
  await expect(page.locator("#nb-name")).toHaveValue("Ольга Смирнова");
  await expect(page.locator("#nb-phone")).toHaveValue("+7 903 555-12-34");
  await expect(page.locator("[data-client-suggest]")).toHaveCount(0);
  await page.keyboard.press("Escape");

  // Typed key by key, figures keep every digit and the focus stays put.
  await page.locator("#nb-hours").fill("");
  await page.locator("#nb-hours").pressSequentially("2");
  await expect(page.locator("[data-quote] strong")).toHaveText(/3\s?600/);
  await expect(page.locator("#nb-hours")).toBeFocused();
  await page.keyboard.press("Escape");

  // A phone dictated as "8 903 …" finds her too; choosing her and booking
  // puts the booking under her name.
  await slot.click();
  await page.locator("#nb-phone").pressSequentially("8 903 555 12 34");
  await expect(page.locator("#nb-phone")).toHaveValue("8 903 555 12 34");
  await page.locator("[data-client-suggest] button", { hasText: "Ольга Смирнова" }).click();
  await expect(page.locator("#nb-phone")).toHaveValue("+7 903 555-12-34");
  await page.locator("#nb-consent").check();
  await page.locator("#nb-phone").locator("xpath=ancestor::form").locator("button[type=submit]").click();
  await expect(page.locator('[data-space="studio_b"] .cal-booking', { hasText: "Ольга Смирнова" })).toBeVisible();
  await expect(page.getByRole("dialog")).toHaveCount(0);

  // Nothing on file for what is typed: no list.
  await page.locator(`[data-slot-start="${day}T17:00:00+03:00"][data-space="studio_b"]`).click();
  await page.locator("#nb-name").pressSequentially("Zz");
  await page.waitForTimeout(300);
  await expect(page.locator("[data-client-suggest]")).toHaveCount(0);
  expect(errors).toEqual([]);
});
