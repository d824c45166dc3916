import { test, expect, useStudio } from "./studio";
import { OWNER_PASSWORD, api, signIn, token } from "./helpers";
import { inflateRawSync } from "node:zlib";

useStudio();

/// A studio date `days` ahead (UTC+3).
function ahead(days: number): string {
  return new Date(Date.now() + (3 + 24 * days) * 3600_000).toISOString().slice(0, 10);
}

async function booking(owner: string, day: string, hour: number, states: string[]) {
  const h = (n: number) => String(n).padStart(2, "0");
  const res = await api("/api/v1/bookings", "POST", owner, {
    space: "studio_a",
    start_time: `${day}T${h(hour)}:00:00+03:00`,
    end_time: `${day}T${h(hour + 2)}:00:00+03:00`,
    people_count: 2,
    client_name: "Вера Аналитикова",
    client_phone: "+7 916 700 00 01",
    source: "phone",
    client_consent: true,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  for (const to of states) {
    expect((await api(`/api/v1/bookings/${res.body.id}/state`, "POST", owner, { target_state: to })).status).toBe(200);
  }
  return res.body;
}

/// The files of a zip archive (an XLSX workbook), read from its central directory.
function unzip(buf: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end--;
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLength = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataAt, dataAt + size);
    files.set(name, (method === 8 ? inflateRawSync(raw) : raw).toString("utf8"));
    at += 46 + nameLength + extra + comment;
  }
  return files;
}

test("the owner reads a period's figures, changes the period and downloads CSV and XLSX", async ({ browser }) => {
  const owner = await token("owner", OWNER_PASSWORD);
  const day = ahead(2);
  const done = await booking(owner, day, 10, ["in_progress", "completed"]);
  await booking(owner, day, 13, ["cancelled"]);
  await booking(owner, day, 16, []);

  const [page, errors] = await signIn(browser, "owner", OWNER_PASSWORD);
  await page.getByRole("link", { name: "Analytics" }).click();
  await expect(page).toHaveURL(/\/staff\/analytics/);
  await expect(page.getByRole("heading", { name: "Analytics", level: 1 })).toBeVisible();

  // The day of the bookings, picked as a custom period.
  await page.locator("#an-period").selectOption("custom");
  await page.locator("#an-from").fill(day);
  await page.locator("#an-to").fill(day);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(new RegExp(`period=custom.*from=${day}`));
  const figures = page.locator("[data-figures]");
  await expect(figures.locator(".figure").first()).toContainText("3");
  await expect(figures).toContainText("Revenue");
  await expect(page.locator("[data-chart='bookings'] svg rect.chart__completed")).toHaveCount(1);
  await expect(page.locator("[data-chart='revenue'] svg")).toBeVisible();
  await expect(page.locator("[data-chart='heat'] svg rect.heat__cell--5").first()).toBeVisible();
  // Every chart has a table alternative: the heat map's lists the week's days.
  await expect(page.locator("[data-heat-table] tbody tr")).toHaveCount(7);
  await expect(page.locator("[data-occupancy] tr[data-space='studio_a']")).toContainText("33.3 %");
  await expect(page.locator("[data-top-clients]")).toContainText("Вера Аналитикова");
  await page.screenshot({ path: "test-results/analytics.png", fullPage: true });

  // The next period is empty: zeros and a note, not an error.
  await page.getByRole("link", { name: /Later/ }).click();
  await expect(page.locator("[data-empty]")).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`from=${ahead(3)}&to=${ahead(3)}`));

  // A page loaded afresh (server-rendered, then hydrated) works the same.
  await page.reload();
  await expect(page.locator("[data-empty]")).toBeVisible();

  // Back, then both exports, parsed back.
  await page.getByRole("link", { name: /Earlier/ }).click();
  await expect(page).toHaveURL(new RegExp(`from=${day}&to=${day}`));
  await expect(page.locator("[data-empty]")).toHaveCount(0);
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.locator("[data-export='csv']").click()]);
  const csv = (await (await csvDownload.createReadStream()).toArray()).map((c) => c.toString()).join("");
  const lines = csv.trim().split(/\r\n/);
  expect(lines[0]).toBe("date,bookings,completed,cancelled,no_show,revenue_rub");
  expect(lines[1]).toBe(`${day},3,1,1,0,${(done.total_price / 100).toFixed(2)}`);

  const [xlsxDownload] = await Promise.all([page.waitForEvent("download"), page.locator("[data-export='xlsx']").click()]);
  expect(xlsxDownload.suggestedFilename()).toMatch(/\.xlsx$/);
  const chunks = await (await xlsxDownload.createReadStream()).toArray();
  const files = unzip(Buffer.concat(chunks));
  const workbook = files.get("xl/workbook.xml")!;
  for (const sheet of ["summary", "daily", "occupancy", "top_clients", "heat_map"]) {
    expect(workbook).toContain(`name="${sheet}"`);
  }
  const shared = files.get("xl/sharedStrings.xml") ?? "";
  expect(shared).toContain("Вера Аналитикова");
  expect(shared).toContain(day);
  // The daily sheet (second) holds the day's three bookings and the revenue in roubles.
  const daily = files.get("xl/worksheets/sheet2.xml")!;
  expect(daily).toContain("<v>3</v>");
  expect(daily).toContain(`<v>${done.total_price / 100}</v>`);
  expect(errors).toEqual([]);
  await page.context().close();
});

test("a manager sees the figures without money", async ({ browser }) => {
  const owner = await token("owner", OWNER_PASSWORD);
  const created = await api("/api/v1/employees", "POST", owner, {
    username: "mila", email: "mila@studio.test", full_name: "Mila Manager", role: "manager",
  });
  expect(created.status).toBe(201);
  const temporary = await token("mila", created.body.temporary_password);
  expect((await api("/api/v1/auth/password", "POST", temporary, {
    current_password: created.body.temporary_password, new_password: "a manager's own passphrase",
  })).status).toBe(204);
  const manager = await token("mila", "a manager's own passphrase");
  const summary = await api(`/api/v1/analytics/summary?from=${ahead(0)}&to=${ahead(7)}`, "GET", manager);
  expect(summary.status).toBe(200);
  expect(summary.body).not.toHaveProperty("revenue");
  expect(summary.body).not.toHaveProperty("booked_value");
  expect(summary.body.bookings).toBeGreaterThanOrEqual(0);

  const [page, errors] = await signIn(browser, "mila", "a manager's own passphrase");
  await page.goto(`${process.env.STUDIO_E2E_URL}/staff/analytics?period=week`);
  await expect(page.locator("[data-figures]")).toBeVisible();
  await expect(page.locator("[data-figures]")).not.toContainText("Revenue");
  await expect(page.locator("[data-chart='revenue']")).toHaveCount(0);
  await expect(page.locator("[data-top-clients]")).toHaveCount(0);
  expect(errors).toEqual([]);
  await page.context().close();
});
