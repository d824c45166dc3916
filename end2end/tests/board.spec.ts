import { test, expect, Page, useStudio } from "./studio";
import { ADMIN_PASSWORD, OWNER_PASSWORD, api, base, createEmployee, signIn, token } from "./helpers";

useStudio();

/// Tomorrow on the studio's clock (UTC+3).
function tomorrow(): string {
  return new Date(Date.now() + (3 + 24) * 3600_000).toISOString().slice(0, 10);
}

async function staffBooking(owner: string, hour: number, name: string) {
  const date = tomorrow();
  const h = (n: number) => String(n).padStart(2, "0");
  const res = await api("/api/v1/bookings", "POST", owner, {
    space: "studio_a",
    start_time: `${date}T${h(hour)}:00:00+03:00`,
    end_time: `${date}T${h(hour + 1)}:00:00+03:00`,
    people_count: 2,
    client_name: name,
    client_phone: "+7 916 123 45 67",
    source: "phone",
    client_consent: true,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

const card = (page: Page, column: string, id: string) =>
  page.locator(`[data-column="${column}"] [data-booking-id="${id}"]`);

test("two staff share a live board: a drag on one screen moves the card on the other", async ({ browser }) => {
  const owner = await token("owner", OWNER_PASSWORD);
  await createEmployee("anton", "Anton Admin", "admin", ADMIN_PASSWORD);

  const shoot = await staffBooking(owner, 10, "Irina Shoot");
  const done = await staffBooking(owner, 13, "Pavel Finished");
  for (const to of ["in_progress", "completed"]) {
    expect((await api(`/api/v1/bookings/${done}/state`, "POST", owner, { target_state: to })).status).toBe(200);
  }

  const [a, errorsA] = await signIn(browser, "owner", OWNER_PASSWORD);
  const [b, errorsB] = await signIn(browser, "anton", ADMIN_PASSWORD);
  await expect(card(a, "confirmed", shoot)).toBeVisible();
  await expect(card(b, "confirmed", shoot)).toBeVisible();
  await expect(a.locator('[data-column="confirmed"] [data-count]')).toHaveText("1");

  // Owner drags Confirmed -> In progress; the admin's screen follows without a reload.
  await card(a, "confirmed", shoot).dragTo(a.locator('[data-column="in_progress"]'));
  await expect(card(a, "in_progress", shoot)).toBeVisible({ timeout: 1_000 });
  await expect(card(b, "in_progress", shoot)).toBeVisible({ timeout: 3_000 });
  await expect(card(b, "confirmed", shoot)).toHaveCount(0);
  await expect(b.locator('[data-column="in_progress"] [data-count]')).toHaveText("1");
  // A moved card keeps what it shows, on both screens; the toast names the client.
  await expect(card(a, "in_progress", shoot)).toContainText("Irina Shoot");
  await expect(card(b, "in_progress", shoot)).toContainText("Irina Shoot");
  await expect(a.locator("[data-toast]").first()).toContainText("In progress");
  await expect(a.locator("[data-toast]").first()).toContainText("Irina Shoot");

  // Completed -> New is not an arrow of the machine (reopening goes back to
  // Confirmed): the card snaps back with a message.
  await card(a, "completed", done).dragTo(a.locator('[data-column="pending"]'));
  await expect(a.locator(".toast--error")).toContainText("not allowed");
  await expect(card(a, "completed", done)).toBeVisible();
  await expect(card(a, "pending", done)).toHaveCount(0);
  await a.screenshot({ path: "test-results/board.png", fullPage: true });

  // The keyboard does the same: focus the card, press → to move it forward.
  await card(b, "in_progress", shoot).focus();
  await b.keyboard.press("ArrowRight");
  await expect(card(b, "completed", shoot)).toBeVisible({ timeout: 1_000 });
  // Focus stays on the moved card (in its new column), with no drag look left.
  await expect(card(b, "completed", shoot)).toBeFocused();
  await expect(card(b, "completed", shoot)).not.toHaveClass(/card--dragging/);
  await expect(card(a, "completed", shoot)).toBeVisible({ timeout: 3_000 });
  await expect(card(a, "completed", shoot)).toContainText("Irina Shoot");

  // The board opened from another page of the app (fetched, not rendered
  // by the server) shows its cards in full.
  await b.getByRole("link", { name: "Calendar", exact: true }).click();
  await expect(b).toHaveURL(/\/staff\/calendar/);
  await b.getByRole("link", { name: "Board", exact: true }).click();
  await expect(card(b, "completed", done)).toContainText("Pavel Finished");

  // After a reload each screen shows what the server holds.
  await a.reload();
  await expect(card(a, "completed", shoot)).toBeVisible();
  await expect(card(a, "completed", done)).toBeVisible();
  const held = await api(`/api/v1/bookings/${shoot}`, "GET", owner);
  expect(held.body.state).toBe("completed");
  expect(held.body.history.map((h: { to: string }) => h.to)).toEqual(["confirmed", "in_progress", "completed"]);

  expect(errorsA).toEqual([]);
  expect(errorsB).toEqual([]);
});

test("the booking list filters and links to a booking page that edits and follows changes live", async ({ browser }) => {
  const owner = await token("owner", OWNER_PASSWORD);
  const id = await staffBooking(owner, 16, "Lena Listed");
  const [page, errors] = await signIn(browser, "owner", OWNER_PASSWORD);
  await page.getByRole("link", { name: "Bookings" }).first().click();
  await expect(page).toHaveURL(/\/staff\/bookings/);
  await page.locator("#l-q").fill("lena");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await expect(page.locator(`tr[data-booking-id="${id}"]`)).toContainText("Lena Listed");
  await page.screenshot({ path: "test-results/bookings-list.png", fullPage: true });
  await page.locator(`tr[data-booking-id="${id}"] a`).first().click();
  await expect(page.locator(`.detail[data-booking-id="${id}"]`)).toBeVisible();

  // Edit: internal notes and payment; saved with the version it was read at.
  await page.locator("#e-internal").fill("Bring the white paper backdrop");
  await page.locator("#e-payment").selectOption("paid");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".toast--success").first()).toContainText("Saved");
  await expect(page.locator("#e-payment")).toHaveValue("paid");
  // The audit trail says it in words, not as an event name and JSON.
  const trail = page.locator("li[data-action='booking_updated']").first();
  await expect(trail).toContainText("Payment changed from “Unpaid” to “Paid”");
  await expect(trail).toContainText("Changed: internal notes");
  await expect(trail).not.toContainText("booking_updated");

  // A bad phone is a field-level error, nothing is saved.
  await page.locator("#e-phone").fill("12");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".field__error")).toBeVisible();
  // The earlier "Saved" does not stay beside the refusal.
  await expect(page.locator(".toast--success")).toHaveCount(0);

  // A colleague confirms it elsewhere: the page follows.
  await page.reload();
  await expect(page.locator("[data-state]").first()).toHaveText("Confirmed");
  expect((await api(`/api/v1/bookings/${id}/state`, "POST", owner, { target_state: "in_progress" })).status).toBe(200);
  await expect(page.locator("[data-state]").first()).toHaveText("In progress", { timeout: 3_000 });
  await expect(page.locator("li[data-action='booking_state_changed']").first())
    .toContainText("Moved from “Confirmed” to “In progress”");
  await page.screenshot({ path: "test-results/booking-detail.png", fullPage: true });
  expect(errors).toEqual([]);
});

test("staff find a client the way it is dictated: a Cyrillic surname in lower case, a phone with 8 and spaces", async ({ browser }) => {
  const owner = await token("owner", OWNER_PASSWORD);
  const date = tomorrow();
  const book = async (hour: number, name: string, phone: string) => {
    const res = await api("/api/v1/bookings", "POST", owner, {
      space: "studio_a", start_time: `${date}T${hour}:00:00+03:00`, end_time: `${date}T${hour + 1}:00:00+03:00`,
      people_count: 2, client_name: name, client_phone: phone, source: "phone", client_consent: true,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const anna = await book(12, "Анна Петрова", "+7 916 765 43 21");
  const other = await book(14, "Boris Other", "+7 916 123 45 67");
  const [page, errors] = await signIn(browser, "owner", OWNER_PASSWORD, 768, 1366);
  for (const query of ["петрова", "8 916 765-43-21", "89167654321"]) {
    // The board.
    await page.getByRole("link", { name: "Board" }).first().click();
    await page.locator("#f-q").fill(query);
    await page.locator("#f-q").press("Enter");
    await expect(page).toHaveURL(/[?&]q=/);
    await expect(page.locator(`[data-booking-id="${anna}"]`), query).toBeVisible();
    await expect(page.locator(`[data-booking-id="${other}"]`), query).toHaveCount(0);
    // The booking list.
    await page.getByRole("link", { name: "Bookings" }).first().click();
    await page.locator("#l-q").fill(query);
    await page.locator("#l-q").press("Enter");
    await expect(page.locator("tbody tr"), query).toHaveCount(1);
    await expect(page.locator(`tr[data-booking-id="${anna}"]`), query).toContainText("Анна Петрова");
    // The client base.
    await page.getByRole("link", { name: "Clients" }).first().click();
    await page.locator("#c-q").fill(query);
    await page.locator("#c-q").press("Enter");
    await expect(page.locator("[data-clients] tbody tr"), query).toHaveCount(1);
    await expect(page.locator("[data-clients] tbody tr").first(), query).toContainText("Анна Петрова");
  }
  expect(errors).toEqual([]);
});
