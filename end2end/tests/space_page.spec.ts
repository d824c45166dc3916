// The studio's own booking site: an owner writes a space's page (both
// languages), uploads a photo and the logo, sets the rules and how to pay
// in settings; a guest on a phone then sees the photo (the phone-sized
// WebP), the facts, the rules and the payment terms before booking, and
// "how to pay" first on the confirmation. The staff sidebar collapses to
// icons that keep their names.
import { test, expect, useStudio } from "./studio";
import { OWNER_PASSWORD, base, signIn } from "./helpers";
import { deflateSync } from "node:zlib";

useStudio();

/// A photo-like PNG (a gradient) of `w` x `h`, made here: no fixture file.
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    for (let x = 0; x < w; x++) {
      raw[row + 1 + x * 3] = (x * 255) / w;
      raw[row + 2 + x * 3] = (y * 255) / h;
      raw[row + 3 + x * 3] = 140;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function dayAhead(days: number): string {
  return new Date(Date.now() + (3 + 24 * days) * 3600_000).toISOString().slice(0, 10);
}

test("an owner builds a space's page and a guest on a phone reads it before and after booking", async ({ browser }) => {
  const [staff, errors] = await signIn(browser, "owner", OWNER_PASSWORD, 800, 1366, { locale: "ru-RU" });
  await staff.goto(`${base()}/staff/settings`);
  const site = staff.locator("[data-guest-site]");
  await expect(site).toBeVisible();

  // The space's page: texts in both languages, area and ceiling.
  const a = site.locator("details[data-space-page=studio_a]");
  await a.locator("summary").click();
  await a.getByLabel("Описание, по-русски").fill("Светлая циклорама 6 × 4 м и окна в пол.");
  await a.getByLabel("Описание, по-английски").fill("A bright 6 × 4 m cyclorama and tall windows.");
  await a.getByLabel("Что входит в стоимость, по-русски").fill("Белая циклорама\nДва импульсных источника\nСтол визажиста");
  await a.getByLabel("Площадь, м²").fill("80");
  await a.getByLabel("Высота потолков, м").fill("4,5");
  await a.getByRole("button", { name: "Сохранить" }).click();
  await expect(staff.locator(".toast").last()).toContainText("Сохранено");

  // A photo, with what it shows: the button says it is under way.
  await a.getByLabel("Файл изображения").setInputFiles({ name: "hall.png", mimeType: "image/png", buffer: png(1800, 1200) });
  await a.getByLabel("Что на фото, по-русски").fill("Циклорама и окна");
  await a.getByRole("button", { name: "Загрузить" }).click();
  await expect(a.locator("[data-photo] img")).toHaveCount(1);
  await expect(a.locator("[data-photo]")).toContainText("Циклорама и окна");

  // The logo, and the rules and payment terms.
  await site.locator("form[data-upload=logo] input[type=file]").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: png(480, 160) });
  await site.locator("form[data-upload=logo]").getByRole("button", { name: "Загрузить" }).click();
  await expect(site.locator("[data-logo-preview]")).toBeVisible();
  const contacts = staff.locator("[data-contacts]");
  await contacts.getByLabel("Правила студии, по-русски").fill("Сменная обувь обязательна.\nБез еды на циклораме.");
  await contacts.getByLabel("Как оплатить, по-русски").fill("Картой или наличными на месте до начала съёмки.");
  await contacts.getByRole("button", { name: "Сохранить" }).click();
  await expect(staff.locator(".toast").last()).toContainText("Сохранено");

  // The sidebar folds into icons that keep their names.
  await staff.locator("button.sidebar-toggle[aria-controls]").click();
  await expect(staff.locator(".staff")).toHaveClass(/staff--collapsed/);
  const board = staff.locator(".staff-nav__link[href='/staff/board']");
  await expect(board.locator(".staff-sidebar__label")).toBeVisible();
  const icon = await board.locator(".staff-nav__dot").evaluate((e) => getComputedStyle(e).maskImage || getComputedStyle(e).webkitMaskImage);
  expect(icon).toContain("data:image/svg+xml");
  await staff.screenshot({ path: "test-results/settings-guest-site-1366.png", fullPage: false });
  expect(errors).toEqual([]);

  // The guest, on a phone.
  const context = await browser.newContext({ locale: "ru-RU", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const guest = await context.newPage();
  const images: string[] = [];
  guest.on("response", (r) => { if (r.url().includes("/media/")) images.push(r.url()); });
  await guest.goto(`${base()}/book/studio_a?date=${dayAhead(6)}`);
  await expect(guest.locator(".brand__logo img")).toBeVisible();
  const photo = guest.locator("[data-gallery] img").first();
  await expect(photo).toHaveAttribute("alt", "Циклорама и окна");
  await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  const chosen = await photo.evaluate((img: HTMLImageElement) => img.currentSrc);
  expect(chosen, "a phone gets WebP, not the largest size").toMatch(/\/media\/[0-9a-f]+\/(480|960)\.webp$/);
  await expect(guest.locator("[data-description]")).toContainText("Светлая циклорама");
  await expect(guest.locator("[data-area]")).toHaveText("80 м²");
  await expect(guest.locator("[data-ceiling]")).toHaveText("4,5 м");
  await expect(guest.locator("[data-included] li")).toHaveCount(3);
  await expect(guest.locator("[data-terms=rules]")).toContainText("Сменная обувь обязательна.");
  await expect(guest.locator("[data-terms=payment]")).toContainText("Картой или наличными");
  await expect(guest.locator("[data-terms=cancellation]")).toContainText("24 часа");
  const width = await guest.evaluate(() => document.documentElement.scrollWidth);
  expect(width, "nothing wider than the phone").toBeLessThanOrEqual(390);
  await guest.screenshot({ path: "test-results/guest-space-390.png", fullPage: true });

  // Book; the confirmation says how to pay first.
  await guest.locator("a.slot[data-slot-start]").first().click();
  await guest.locator("#client_name").fill("Ольга Смирнова");
  await guest.locator("#client_phone").fill("+7 903 555-12-34");
  await guest.locator("#consent").check();
  await guest.getByRole("button", { name: "Забронировать" }).click();
  await expect(guest.locator("[data-reference]")).toBeVisible();
  const terms = guest.locator("aside.terms section");
  await expect(terms.first()).toHaveAttribute("data-terms", "payment");
  await expect(terms.first()).toContainText("Как оплатить");
  // Add to calendar: the same event the e-mail attaches.
  const ics = guest.locator("a[data-add-to-calendar]");
  await expect(ics).toBeVisible();
  const file = await guest.request.get(`${base()}${await ics.getAttribute("href")}`);
  expect(file.status()).toBe(200);
  expect(file.headers()["content-type"]).toContain("text/calendar");
  expect(await file.text()).toContain("BEGIN:VEVENT");
  await guest.screenshot({ path: "test-results/guest-confirmation-390.png", fullPage: true });
  expect(images.some((u) => u.endsWith(".webp"))).toBe(true);
  await context.close();
});
