import { test, expect, Page, useStudio } from "./studio";
import { createHmac } from "node:crypto";

useStudio();

const base = () => process.env.STUDIO_E2E_URL as string;
const PASSWORD = "north light over the river";

/// RFC 6238 TOTP (SHA1, 6 digits, 30 s) for a base32 secret, `steps` from now.
function totp(secret: string, steps = 0): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + steps));
  const h = createHmac("sha1", key).update(counter).digest();
  const o = h[19] & 0xf;
  return ((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).toString().padStart(6, "0");
}

async function signIn(page: Page, code?: string) {
  await page.goto(`${base()}/staff/login`);
  await page.locator("main.login[data-ready]").waitFor();
  await page.locator("#username").fill("owner");
  await page.locator("#password").fill(PASSWORD);
  await page.locator("form.login__form button[type=submit]").click();
  if (code) {
    await expect(page.locator("#mfa_code")).toBeVisible();
    await page.locator("#mfa_code").fill(code);
    await page.locator("form.login__form button[type=submit]").click();
  }
  await expect(page).toHaveURL(/\/staff$/);
}

test("the owner adds a manager, sees the one-time password, and disables them after confirming", async ({ browser }) => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page);
  await page.getByRole("link", { name: "Employees" }).click();
  await expect(page.locator("[data-employees] tr[data-username='owner']")).toBeVisible();
  await page.locator("#new_username").fill("maria");
  await page.locator("#new_full_name").fill("Maria Manager");
  await page.locator("#new_email").fill("maria@studio.test");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.locator("[data-temporary-password]")).toHaveText(/^[A-Za-z0-9]{16}$/);
  const row = page.locator("[data-employees] tr[data-username='maria']");
  await expect(row).toContainText("manager");
  await row.locator("button[data-action='disable']").click();
  await expect(row.getByText("Are you sure?")).toBeVisible();
  await row.getByRole("button", { name: "Yes" }).click();
  await expect(row).toContainText("disabled");
  await page.screenshot({ path: "test-results/staff-employees.png", fullPage: true });
  expect(errors).toEqual([]);
  await context.close();
});

test("the owner enrols in MFA, signs in with a code and sees it in the audit log", async ({ browser }) => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));

  // A wrong password first: a clear message, no way in.
  await page.goto(`${base()}/staff/login`);
  await page.locator("main.login[data-ready]").waitFor();
  await page.locator("#username").fill("owner");
  await page.locator("#password").fill("not the password at all");
  await page.locator("form.login__form button[type=submit]").click();
  await expect(page.getByRole("alert")).toContainText("not correct");

  await signIn(page);
  await page.getByRole("link", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Two-factor sign-in" })).toBeVisible();
  await page.locator("#mfa_password").fill(PASSWORD);
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  const secret = (await page.locator("[data-mfa-secret]").textContent())!.trim();
  await expect(page.locator(".mfa-setup__qr svg")).toBeVisible();
  await page.locator("#mfa_confirm_code").fill(totp(secret));
  await page.getByRole("button", { name: "Turn on" }).click();
  await expect(page.locator("[data-backup-codes] li")).toHaveCount(10);
  await page.screenshot({ path: "test-results/staff-mfa.png", fullPage: true });

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/staff\/login/);

  // The password alone now asks for the code; the next step's code lets the owner in.
  await signIn(page, totp(secret, 1));
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.locator("[data-audit] tr[data-action='mfa_enabled']")).toHaveCount(1);
  await expect(page.locator("[data-audit] tr[data-action='login_succeeded']").first()).toBeVisible();
  await expect(page.locator("[data-audit] tr[data-action='login_failed']").first()).toBeVisible();
  await page.screenshot({ path: "test-results/staff-audit.png", fullPage: true });
  expect(errors).toEqual([]);
  await context.close();
});
