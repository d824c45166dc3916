// A guest's e-mail and the staff chat, end to end: a real SMTP server
// (maildev) and a fake Telegram Bot API, both started here on free ports;
// the studio is configured to use them as it would use the real ones.
import { test, expect, startStudio, Studio } from "./studio";
import { OWNER_PASSWORD, signIn } from "./helpers";
import { spawn, ChildProcess } from "node:child_process";
import { createServer, Server } from "node:http";
import { AddressInfo, createServer as netServer } from "node:net";
import { resolve } from "node:path";

const BOT_TOKEN = "123456:E2E-token";

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = netServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => ok(port));
    });
  });
}

let studio: Studio;
let maildev: ChildProcess;
let mailApi = "";
let telegram: Server;
const sent: { chat_id: string; text: string; parse_mode: string }[] = [];

test.beforeAll(async ({}, testInfo) => {
  testInfo.setTimeout(60_000);
  const [smtp, web] = [await freePort(), await freePort()];
  maildev = spawn(resolve("node_modules/.bin/maildev"), ["--ip", "127.0.0.1", "--smtp", `${smtp}`, "--web", `${web}`, "--silent"], {
    stdio: "ignore",
  });
  mailApi = `http://127.0.0.1:${web}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${mailApi}/email`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error("maildev did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  telegram = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url === `/bot${BOT_TOKEN}/sendMessage`) sent.push(JSON.parse(body));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, result: { message_id: sent.length } }));
    });
  });
  await new Promise<void>((r) => telegram.listen(0, "127.0.0.1", r));
  const tgPort = (telegram.address() as AddressInfo).port;
  studio = await startStudio("sqlite", {
    STUDIO_SMTP_URL: `smtp://127.0.0.1:${smtp}`,
    STUDIO_MAIL_FROM: "Studio <studio@example.com>",
    STUDIO_TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    STUDIO_TELEGRAM_CHAT_ID: "-100500",
    STUDIO_TELEGRAM_API_URL: `http://127.0.0.1:${tgPort}`,
    STUDIO_OUTBOX_POLL_MS: "200",
  });
  process.env.STUDIO_E2E_URL = studio.url;
});

test.afterAll(async () => {
  await studio?.stop();
  maildev?.kill();
  await new Promise((r) => telegram?.close(r));
});

type Mail = { subject: string; text: string; to: { address: string }[]; attachments?: { fileName: string }[] };

async function mails(): Promise<Mail[]> {
  return (await fetch(`${mailApi}/email`)).json();
}

test("a guest books, gets the e-mail, cancels from its link; staff see it live and hear of both", async ({ browser }) => {
  test.skip(test.info().project.name !== "sqlite", "one backend is enough for the browser journey");
  const [board] = await signIn(browser, "owner", OWNER_PASSWORD);

  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${studio.url}/book/studio_a`);
  await page.locator(".day-picker__nav a").last().click();
  await page.locator(".day-picker__nav a").last().click();
  await page.locator("a.slot[data-slot-start]").first().click();
  await page.locator("#people_count").fill("2");
  await page.locator("#client_name").fill("Mila Mailer");
  await page.locator("#client_phone").fill("8 (916) 555-44-33");
  await page.locator("#client_email").fill("mila@example.com");
  await page.locator("#consent").check();
  await page.getByRole("button", { name: "Book now" }).click();
  await expect(page).toHaveURL(/\/booking\/[0-9a-f]{64}\?new=1/);
  const reference = (await page.locator("[data-reference]").textContent())!.trim();

  // The confirmation arrives at the SMTP server, in English, with the
  // session as an .ics and an absolute link to the booking.
  await expect.poll(async () => (await mails()).length, { timeout: 20_000 }).toBe(1);
  const [mail] = await mails();
  expect(mail.to[0].address).toBe("mila@example.com");
  expect(mail.subject).toContain(reference);
  expect(mail.attachments?.[0].fileName).toBe(`${reference}.ics`);
  const link = mail.text.match(/https?:\/\/\S+\/booking\/[0-9a-f]{64}/)?.[0];
  expect(link, mail.text).toBeTruthy();
  await context.close();

  // The guest opens the link from the e-mail (a new browser, no history) and cancels.
  const fresh = await browser.newContext({ locale: "en-GB" });
  const guest = await fresh.newPage();
  await guest.goto(link!);
  await expect(guest.locator("[data-reference]")).toHaveText(reference);
  await guest.getByRole("link", { name: "Cancel booking" }).click();
  await guest.getByRole("button", { name: "Yes, cancel it" }).click();
  await expect(guest.getByText("The booking is cancelled.")).toBeVisible();
  await fresh.close();

  // The board shows it cancelled without a reload.
  await expect(board.locator('[data-column="cancelled"]')).toContainText("Mila Mailer", { timeout: 15_000 });
  await expect(board.locator('[data-column="pending"]')).not.toContainText("Mila Mailer");
  // The guest has the cancellation notice, the staff chat both messages.
  await expect.poll(async () => (await mails()).length, { timeout: 20_000 }).toBe(2);
  expect((await mails()).some((m) => m.subject.includes("cancelled"))).toBe(true);
  await expect.poll(() => sent.length, { timeout: 20_000 }).toBe(2);
  expect(sent[0].chat_id).toBe("-100500");
  expect(sent[0].parse_mode).toBe("HTML");
  expect(sent[0].text).toContain(reference);
  expect(sent[0].text).toContain("Mila Mailer");
  expect(sent[1].text).toContain(reference);

  // The settings card: both channels configured, the last deliveries, and
  // a test message that reaches the chat.
  // Through the hydrated app (a click before hydration would post the form
  // natively and leave the page).
  await board.getByRole("link", { name: "Settings" }).click();
  const card = board.locator("[data-notifications]");
  await expect(card).toBeVisible();
  await expect(card.locator('[data-channel="telegram"]')).toHaveAttribute("data-configured", "true");
  await expect(card.locator('[data-channel="email"]')).toHaveAttribute("data-configured", "true");
  await expect(card.locator('[data-channel="telegram"]')).toContainText("delivered (200)");
  await expect(card.locator("[data-dead-count]")).toHaveAttribute("data-dead-count", "0");
  await card.locator("[data-telegram-test]").click();
  await expect(board.locator("[data-toast]").first()).toContainText("Test message queued");
  await expect.poll(() => sent.length, { timeout: 20_000 }).toBe(3);
  expect(sent[2].text).toContain("тестовое сообщение");
  await card.screenshot({ path: "test-results/notifications-card.png" });
  await board.context().close();
});
