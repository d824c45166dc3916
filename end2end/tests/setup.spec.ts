// First run: a studio with no employee is set up at /setup with the token
// the server printed; the owner then signs in; the page is gone afterwards.
import { test, expect, useStudio, studio } from "./studio";
import { signIn } from "./helpers";

useStudio({}, { owner: false });

const base = () => process.env.STUDIO_E2E_URL as string;
const PASSWORD = "north light over the river";

test("a new studio's owner is created on the setup page, signs in, and the page is gone", async ({ browser }) => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 420, height: 900 } });
  const page = await context.newPage();
  const wasm: string[] = [];
  page.on("request", (r) => {
    if (r.url().endsWith(".wasm")) wasm.push(r.url());
  });
  await page.goto(`${base()}/setup`);
  await expect(page.getByRole("heading", { name: "Set up the studio" })).toBeVisible();

  // A wrong token and two different passwords: said next to the fields,
  // what was typed kept, the passwords not.
  await page.locator("#setup_token").fill("0".repeat(32));
  await page.locator("#username").fill("olga");
  await page.locator("#full_name").fill("Olga Owner");
  await page.locator("#email").fill("olga@studio.test");
  await page.locator("#password").fill(PASSWORD);
  await page.locator("#password_repeat").fill(PASSWORD + " typo");
  await page.getByRole("button", { name: "Create the owner" }).click();
  await expect(page.locator(".field--error")).toHaveCount(2);
  await expect(page.getByText("This is not the token the server printed")).toBeVisible();
  await expect(page.getByText("The two passwords differ.")).toBeVisible();
  await expect(page.locator("#username")).toHaveValue("olga");
  await expect(page.locator("#password")).toHaveValue("");
  await page.screenshot({ path: "test-results/setup-errors.png", fullPage: true });

  await page.locator("#setup_token").fill(studio().setupToken as string);
  await page.locator("#password").fill(PASSWORD);
  await page.locator("#password_repeat").fill(PASSWORD);
  // The setup page, like the guest pages, loaded no WASM.
  expect(wasm).toEqual([]);
  await page.getByRole("button", { name: "Create the owner" }).click();
  await expect(page).toHaveURL(/\/staff\/login$/);
  await context.close();

  const [staff, errors] = await signIn(browser, "olga", PASSWORD);
  await expect(staff.locator(".live-status--on")).toBeVisible();
  expect(errors).toEqual([]);
  await staff.context().close();

  const gone = await fetch(`${base()}/setup`);
  expect(gone.status).toBe(404);
});
