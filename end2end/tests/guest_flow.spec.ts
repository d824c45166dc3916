// The guest's booking flow where it used to trip people up, on a phone
// (390 px) and on a laptop (1366 px): a refused submit and then another
// time, an offered alternative, the language switch, the first free day
// with the taken hours greyed out, and a booking too close to cancel online.
import { test, expect, Page, Browser, useStudio } from "./studio";
import { api, token, OWNER_PASSWORD } from "./helpers";

useStudio();

const base = () => process.env.STUDIO_E2E_URL as string;
const REFERENCE = /REF-\d{8}-[A-HJ-NP-Z2-9]{4}/;

const SIZES = [
  { name: "phone", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  { name: "laptop", viewport: { width: 1366, height: 768 }, isMobile: false, hasTouch: false },
];

/// A studio-local date `days` ahead (UTC+3).
function dayAhead(days: number): string {
  return new Date(Date.now() + (3 + 24 * days) * 3600_000).toISOString().slice(0, 10);
}

async function guest(browser: Browser, size: (typeof SIZES)[number], locale = "ru-RU"): Promise<[Page, string[]]> {
  const context = await browser.newContext({ locale, viewport: size.viewport, isMobile: size.isMobile, hasTouch: size.hasTouch });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return [page, errors];
}

/// Books a start over the public API, as another guest would.
async function takeSlot(space: string, start: string, phone: string) {
  const end = new Date(new Date(start).getTime() + 3600_000);
  const endLocal = new Date(end.getTime() + 3 * 3600_000).toISOString().slice(0, 19) + "+03:00";
  const res = await api("/api/v1/public/bookings", "POST", undefined, {
    space, start_time: start, end_time: endLocal, people_count: 1,
    client_name: "Another Guest", client_phone: phone, consent: true,
  });
  expect(res.status).toBe(201);
}

SIZES.forEach((size, i) => {
  test(`${size.name}: a refused submit, then another time, keeps what the guest typed`, async ({ browser }) => {
    const [page, errors] = await guest(browser, size);
    await page.goto(`${base()}/book/studio_a?date=${dayAhead(10 + i)}`);
    await page.locator("a.slot[data-slot-start]").nth(1).click();
    await expect(page.locator("#form")).toBeInViewport();
    await page.locator("#people_count").fill("4");
    await page.locator("#client_name").fill("Анна Петрова");
    await page.locator("#client_phone").fill("123");
    await page.locator("#client_email").fill("anna@example.ru");
    await page.locator("#special_requirements").fill("Белый циклорама, два софтбокса");
    await page.locator("#consent").check();
    await page.getByRole("button", { name: "Забронировать" }).click();
    await expect(page.locator("#client_phone ~ .field__error")).toContainText("номер");

    // Another time, chosen right after the refusal: the form comes back filled in.
    const other = page.locator("a.slot[data-slot-start]").nth(4);
    const otherStart = await other.getAttribute("data-slot-start");
    await other.click();
    await expect(page).toHaveURL(new RegExp(`start=${encodeURIComponent(otherStart!)}`));
    await expect(page.locator("#form")).toBeInViewport();
    await expect(page.locator("#client_name")).toHaveValue("Анна Петрова");
    await expect(page.locator("#client_phone")).toHaveValue("123");
    await expect(page.locator("#client_email")).toHaveValue("anna@example.ru");
    await expect(page.locator("#special_requirements")).toHaveValue("Белый циклорама, два софтбокса");
    await expect(page.locator("#people_count")).toHaveValue("4");
    await expect(page.locator("#consent")).not.toBeChecked();

    // Meanwhile someone takes that very hour: the offered alternative works at once.
    await takeSlot("studio_a", otherStart!, `+7 916 500-00-${10 + i}`);
    await page.locator("#client_phone").fill("8 916 765-43-21");
    await page.locator("#consent").check();
    await page.getByRole("button", { name: "Забронировать" }).click();
    await expect(page.locator("#conflict")).toBeVisible();
    await page.locator("#conflict a.slot").first().click();
    await expect(page.locator("#form")).toBeInViewport();
    await expect(page.locator("#client_name")).toHaveValue("Анна Петрова");
    await expect(page.locator("#client_phone")).toHaveValue("8 916 765-43-21");
    await page.locator("#consent").check();
    await page.getByRole("button", { name: "Забронировать" }).click();
    await expect(page.locator("[data-reference]")).toHaveText(REFERENCE);
    await page.screenshot({ path: `test-results/guest-confirmation-${size.viewport.width}.png`, fullPage: true });

    // Once booked, the next booking starts from an empty form.
    await page.goto(`${base()}/book/studio_b?date=${dayAhead(10 + i)}`);
    await page.locator("a.slot[data-slot-start]").first().click();
    await expect(page.locator("#client_name")).toHaveValue("");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  test(`${size.name}: switching the language keeps the chosen date and time`, async ({ browser }) => {
    const [page, errors] = await guest(browser, size);
    const date = dayAhead(12 + i);
    await page.goto(`${base()}/book/studio_b?date=${date}`);
    const slot = page.locator("a.slot[data-slot-start]").nth(3);
    const start = await slot.getAttribute("data-slot-start");
    await slot.click();
    await expect(page.locator("#form-title")).toHaveText("Ваше бронирование");
    if (size.isMobile) await page.locator(".menu-toggle").click();
    await page.locator(".locale-switcher button[lang=en]").click();
    await expect(page.locator("#form-title")).toHaveText("Your booking");
    await expect(page).toHaveURL(new RegExp(`date=${date}.*start=${encodeURIComponent(start!)}`));
    await expect(page.locator("a.slot[aria-current=true]")).toHaveAttribute("data-slot-start", start!);
    await expect(page.locator("#form")).toBeInViewport();
    await expect(page.locator("#date")).toHaveValue(date);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  test(`${size.name}: the page opens on the first free day and shows taken hours greyed out`, async ({ browser }) => {
    const owner = await token("owner", OWNER_PASSWORD);
    const space = i === 0 ? "studio_a" : "studio_b";
    // Closed today and tomorrow; the day after has one booking at 12:00.
    const blocked = await api("/api/v1/blocks", "POST", owner, {
      space, start_time: `${dayAhead(0)}T00:00:00+03:00`, end_time: `${dayAhead(2)}T00:00:00+03:00`, reason: "maintenance",
    });
    expect(blocked.status).toBe(201);
    await takeSlot(space, `${dayAhead(2)}T12:00:00+03:00`, `+7 916 500-01-${10 + i}`);
    const [page, errors] = await guest(browser, size);
    await page.goto(`${base()}/`);
    await page.locator(`[data-space='${space}'] a.button`).click();
    await expect(page.locator("#date")).toHaveValue(dayAhead(2));
    const busy = page.locator(".slot--busy");
    await expect(busy).toHaveCount(1);
    await expect(busy).toContainText("12:00");
    await expect(busy).toContainText("занято");
    await expect(page.locator("a.slot[data-slot-start]")).toHaveCount(11);
    await page.screenshot({ path: `test-results/guest-book-${size.viewport.width}.png`, fullPage: true });
    // Back to the closed day: it says so and points to the first free one.
    await page.locator(".day-picker__nav a").first().click();
    await expect(page.getByText("На этот день свободного времени нет")).toBeVisible();
    await page.locator("[data-next-free]").click();
    await expect(page.locator("#date")).toHaveValue(dayAhead(2));
    await api("/api/v1/blocks/" + blocked.body.id, "DELETE", owner);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

test("too close to cancel online: the page says until when and shows the studio's phone", async ({ browser }) => {
  const owner = await token("owner", OWNER_PASSWORD);
  const contacts = await api("/api/v1/settings/contacts", "PUT", owner, {
    phone: "8 (495) 123-45-67", telegram: "@light_studio", whatsapp: "", email: "",
    address: { ru: "Москва, ул. Лесная, 5", en: "5 Lesnaya St, Moscow" }, map_url: "https://yandex.ru/maps/-/CDabc",
    directions: { ru: "", en: "" },
  });
  expect(contacts.status).toBe(200);
  const rules = await api("/api/v1/settings", "GET", owner);
  const saved = await api("/api/v1/settings", "PUT", owner, { ...rules.body, cancellation_hours: 720 });
  expect(saved.status).toBe(200);
  for (const size of SIZES) {
    const [page, errors] = await guest(browser, size);
    await page.goto(`${base()}/book/studio_b?date=${dayAhead(20 + size.viewport.width % 7)}`);
    await page.locator("a.slot[data-slot-start]").first().click();
    await page.locator("#client_name").fill("Мария Иванова");
    await page.locator("#client_phone").fill("8 916 765-43-21");
    await page.locator("#consent").check();
    await page.getByRole("button", { name: "Забронировать" }).click();
    await expect(page.locator("[data-reference]")).toHaveText(REFERENCE);
    const closed = page.locator("[data-cancel-closed]");
    await expect(closed).toContainText("Отменить онлайн можно было до");
    await expect(closed.locator("a[data-studio-phone]")).toHaveText("+7 495 123-45-67");
    await expect(closed.locator("a[data-studio-phone]")).toHaveAttribute("href", "tel:+74951234567");
    await expect(page.getByText("Москва, ул. Лесная, 5").first()).toBeVisible();
    await expect(page.getByRole("link", { name: "Отменить бронирование" })).toHaveCount(0);
    await page.screenshot({ path: `test-results/guest-too-late-${size.viewport.width}.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  }
  await api("/api/v1/settings", "PUT", owner, { ...rules.body });
});
