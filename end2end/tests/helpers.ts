// Shared by the staff journeys: the server's address, API calls with a
// token, and signing in through the page in a context of its own.
import { expect, Page, Browser } from "@playwright/test";

export const base = () => process.env.STUDIO_E2E_URL as string;
export const OWNER_PASSWORD = "north light over the river";
export const ADMIN_PASSWORD = "a passphrase for the front desk";

export async function api(path: string, method: string, token?: string, body?: unknown) {
  const res = await fetch(`${base()}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export async function token(username: string, password: string) {
  const res = await api("/api/v1/auth/login", "POST", undefined, { username, password });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

/// An employee with a password of their own (the temporary one replaced),
/// created by the owner over the API.
export async function createEmployee(username: string, fullName: string, role: string, password: string) {
  const owner = await token("owner", OWNER_PASSWORD);
  const created = await api("/api/v1/employees", "POST", owner, {
    username, email: `${username}@studio.test`, full_name: fullName, role,
  });
  expect(created.status).toBe(201);
  const temporary = await token(username, created.body.temporary_password);
  const changed = await api("/api/v1/auth/password", "POST", temporary, {
    current_password: created.body.temporary_password, new_password: password,
  });
  expect(changed.status).toBe(204);
  return created.body.employee.id as string;
}

/// Signs in on the page (a fresh context, in `options.locale`, English by
/// default; `options.atLogin` looks at the sign-in page first); returns the
/// page and the uncaught errors it reports.
export async function signIn(
  browser: Browser, username: string, password: string, height = 900, width = 1440,
  options: { locale?: string; atLogin?: (page: Page) => Promise<void> } = {},
): Promise<[Page, string[]]> {
  const context = await browser.newContext({ locale: options.locale ?? "en-GB", viewport: { width, height } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base()}/staff/login`);
  await page.locator("main.login[data-ready]").waitFor();
  if (options.atLogin) await options.atLogin(page);
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await page.locator("form.login__form button[type=submit]").click();
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.locator(".live-status--on")).toBeVisible();
  return [page, errors];
}
