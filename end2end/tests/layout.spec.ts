// The staff side on a 1366 px laptop, in Russian, as a studio manager
// reads it: the calendar's week fits without sideways scrolling, starts
// today and names its colours; the day view says more per booking; the
// board's cards and counts stay inside their columns; state buttons are
// verbs coloured by what they do, and deleting stands apart.
import { test, expect, Page, Browser, useStudio } from "./studio";
import { api, signIn, OWNER_PASSWORD } from "./helpers";

useStudio();

const base = () => process.env.STUDIO_E2E_URL as string;

function dayAhead(days: number): string {
  return new Date(Date.now() + (3 + 24 * days) * 3600_000).toISOString().slice(0, 10);
}

async function book(day: number, from: number, name: string, phone: string) {
  const at = (h: number) => `${dayAhead(day)}T${String(h).padStart(2, "0")}:00:00+03:00`;
  const res = await api("/api/v1/public/bookings", "POST", undefined, {
    space: "studio_a", start_time: at(from), end_time: at(from + 2), people_count: 3,
    client_name: name, client_phone: phone, consent: true,
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function manager(browser: Browser): Promise<Page> {
  const [page] = await signIn(browser, "owner", OWNER_PASSWORD, 768, 1366, { locale: "ru-RU" });
  return page;
}

/// Whether `inner` lies within `outer` horizontally (1 px of rounding).
async function inside(inner: import("@playwright/test").Locator, outer: import("@playwright/test").Locator) {
  const [a, b] = [await inner.boundingBox(), await outer.boundingBox()];
  return !!a && !!b && a.x >= b.x - 1 && a.x + a.width <= b.x + b.width + 1;
}

test("the calendar week fits a laptop, starts today and has a legend; the day view says more", async ({ browser }) => {
  const id = await book(1, 12, "Анна Петрова", "+7 916 765-43-21");
  const page = await manager(browser);
  await page.goto(`${base()}/staff/calendar`);
  await expect(page.locator(`[data-booking-id='${id}']`)).toBeVisible();
  const cal = page.locator(".cal");
  const [scroll, client] = await cal.evaluate((el) => [el.scrollWidth, el.clientWidth]);
  expect(scroll).toBeLessThanOrEqual(client);
  await expect(page.locator(".cal__day").first()).toHaveClass(/cal__day--today/);
  await expect(page.locator(".cal__day")).toHaveCount(7);
  const legend = page.locator(".cal-legend");
  for (const word of ["Новые", "Подтверждено", "Идёт съёмка", "Завершено", "Время закрыто"]) {
    await expect(legend).toContainText(word);
  }
  await page.goto(`${base()}/staff/calendar?date=${dayAhead(1)}&view=day`);
  const block = page.locator(`[data-booking-id='${id}']`);
  await expect(block).toContainText("Анна Петрова");
  await expect(block).toContainText("3 человека");
  await expect(block).toContainText("+7 916 765-43-21");
  await expect(block).toContainText("Новые");
  await page.context().close();
});

test("on the board cards and counts stay inside their columns; moves are coloured verbs", async ({ browser }) => {
  const id = await book(2, 10, "Константин Константинопольский", "+7 916 765-43-22");
  const page = await manager(browser);
  const card = page.locator(`.card[data-booking-id='${id}']`);
  await expect(card).toBeVisible();
  for (const column of await page.locator(".board-column").all()) {
    await expect.soft(column.locator(".board-column__count")).toBeVisible();
    expect(await inside(column.locator(".board-column__count"), column), "the count stays in its column").toBe(true);
    expect(await inside(column.locator(".board-column__head h2"), column), "the name stays in its column").toBe(true);
  }
  const column = page.locator(".board-column[data-column='pending']");
  expect(await inside(card, column)).toBe(true);
  expect(await inside(card.locator("[class^='pay-']"), card), "the payment sign stays on the card").toBe(true);
  await page.screenshot({ path: "test-results/board-1366.png" });

  await page.goto(`${base()}/staff/bookings/${id}`);
  const confirm = page.locator("button[data-target='confirmed']");
  await expect(confirm).toHaveText("Подтвердить");
  await expect(confirm).toHaveClass(/button--go/);
  await expect(page.locator("button[data-target='cancelled']")).toHaveText("Отменить бронь");
  await expect(page.locator("button[data-target='cancelled']")).toHaveClass(/button--warn/);
  await expect(page.locator(".danger-zone button")).toHaveText("Удалить бронь");
  await page.context().close();
});
