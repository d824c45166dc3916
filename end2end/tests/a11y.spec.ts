// An automated accessibility check (axe-core, WCAG 2.1 A and AA rules) of
// every guest and staff page, in Russian and in English: no serious or
// critical violation anywhere. axe is evaluated in the page through the
// DevTools protocol, so the pages' Content-Security-Policy stays as it is.
import { readFileSync } from "node:fs";
import { test, expect, Page, Browser, useStudio } from "./studio";
import { api, signIn, OWNER_PASSWORD } from "./helpers";

useStudio();

const base = () => process.env.STUDIO_E2E_URL as string;
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

type Violation = { id: string; impact: string; help: string; nodes: { target: string[]; failureSummary: string }[] };

/// The serious and critical violations on the page as it is now.
async function violations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const found: Violation[] = await page.evaluate(async () => {
    // @ts-expect-error axe is the global the script above defined
    const result = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return result.violations;
  });
  return found
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

function dayAhead(days: number): string {
  return new Date(Date.now() + (3 + 24 * days) * 3600_000).toISOString().slice(0, 10);
}

let booking: { id: string; manage: string } | null = null;

/// One booking to show on every page (board card, detail, client, manage link).
async function aBooking() {
  if (booking) return booking;
  const res = await api("/api/v1/public/bookings", "POST", undefined, {
    space: "studio_a", start_time: `${dayAhead(1)}T12:00:00+03:00`, end_time: `${dayAhead(1)}T14:00:00+03:00`,
    people_count: 2, client_name: "Анна Петрова", client_phone: "+7 916 765-43-21", client_email: "anna@example.ru", consent: true,
  });
  expect(res.status).toBe(201);
  booking = { id: res.body.id, manage: new URL(res.body.manage_url, base()).pathname };
  return booking;
}

async function staffPage(browser: Browser, locale: string): Promise<Page> {
  const [page] = await signIn(browser, "owner", OWNER_PASSWORD, 768, 1366, {
    locale,
    atLogin: async (login) => expect(await violations(login), "/staff/login").toEqual([]),
  });
  return page;
}

for (const locale of ["ru-RU", "en-GB"]) {
  test(`guest pages have no serious accessibility problem (${locale})`, async ({ browser }) => {
    const { manage } = await aBooking();
    const context = await browser.newContext({ locale, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const date = dayAhead(1);
    await page.goto(`${base()}/book/studio_a?date=${date}`);
    const start = await page.locator("a.slot[data-slot-start]").first().getAttribute("data-slot-start");
    const pages = [
      "/", `/book/studio_a?date=${date}`, `/book/studio_a?date=${date}&start=${encodeURIComponent(start!)}`,
      `${manage}?new=1`, `${manage}?confirm_cancel=1`, "/privacy", "/no-such-page",
    ];
    const problems: string[] = [];
    for (const path of pages) {
      await page.goto(`${base()}${path}`);
      for (const v of await violations(page)) problems.push(`${path}: ${v}`);
    }
    // A refused form, with its errors beside the fields.
    await page.goto(`${base()}${pages[2]}`);
    await page.locator("#client_name").fill("A");
    await page.locator("#client_phone").fill("123");
    await page.locator("#consent").check();
    await page.locator("#form button[type=submit]").click();
    await expect(page.locator(".field__error").first()).toBeVisible();
    for (const v of await violations(page)) problems.push(`refused form: ${v}`);
    expect(problems).toEqual([]);
    await context.close();
  });

  test(`staff pages have no serious accessibility problem (${locale})`, async ({ browser }) => {
    test.setTimeout(120_000);
    const { id } = await aBooking();
    const page = await staffPage(browser, locale);
    const problems: string[] = [];
    const check = async (what: string) => {
      for (const v of await violations(page)) problems.push(`${what}: ${v}`);
    };
    await check("/staff");
    await page.screenshot({ path: `test-results/staff-board-1366-${locale}.png` });
    const paths = [
      "/staff/calendar", "/staff/bookings", `/staff/bookings/${id}`, "/staff/clients",
      `/staff/clients/${encodeURIComponent("+79167654321")}`, "/staff/day-sheet", "/staff/requests", "/staff/settings",
      "/staff/profile", "/staff/audit", "/staff/employees", "/staff/analytics",
    ];
    for (const path of paths) {
      await page.goto(`${base()}${path}`);
      await page.waitForLoadState("networkidle");
      await expect(page.locator("[aria-busy=true]")).toHaveCount(0);
      await check(path);
      if (path === "/staff/calendar") await page.screenshot({ path: `test-results/staff-calendar-1366-${locale}.png` });
    }
    // The move menu on the board and the calendar's new-booking dialog.
    await page.goto(`${base()}/staff`);
    await expect(page.locator(".live-status--on")).toBeVisible();
    const card = page.locator(`[data-booking-id='${id}']`);
    await card.focus();
    await page.keyboard.press("m");
    await expect(page.locator(".move-menu")).toBeVisible();
    await check("move menu");
    await page.keyboard.press("Escape");
    expect(problems).toEqual([]);
    await page.context().close();
  });
}

test("a dialog takes the focus, keeps it inside, and gives it back on Escape", async ({ browser }) => {
  const { id } = await aBooking();
  const page = await staffPage(browser, "en-GB");
  await page.goto(`${base()}/staff/bookings/${id}`);
  await page.waitForLoadState("networkidle");
  const remove = page.getByRole("button", { name: "Delete booking" });
  await expect(remove).toBeVisible();
  // Clicked until hydration has wired it (a click before does nothing).
  await expect(async () => {
    await remove.click();
    await expect(page.getByRole("alertdialog")).toBeVisible({ timeout: 1_000 });
  }).toPass();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog.getByRole("button", { name: "Not now" })).toBeFocused();
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press("Tab");
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  await page.keyboard.press("Shift+Tab");
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(remove).toBeFocused();
  await page.context().close();
});
