import { expect, Page, test, TestInfo, WebSocketRoute } from "@playwright/test";
import { login, ready } from "./helpers";

// The page's console script (public/console.js) against a scripted server: the test driver has no
// consoles, so the sub-tab's data, the ticket and the WebSocket are played by the test, following
// the agreed protocol. Everything else is the real page under the site's real Content-Security-
// Policy, which must not refuse anything xterm.js or noVNC do.

/** Records what the site's CSP refuses. */
async function watchCsp(page: Page) {
  await page.addInitScript(() => {
    (window as any).__csp = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      (window as any).__csp.push(`${e.effectiveDirective} ${e.blockedURI}`),
    );
  });
}

const cspViolations = (page: Page) => page.evaluate(() => (window as any).__csp as string[]);

/** `/vms` with a seeded VM selected; the Console tab is then opened by a click (client-side). */
async function openConsoleTab(page: Page, kind: "serial" | "vnc", info: TestInfo): Promise<string> {
  await page.route("**/api/vm_consoles?**", (route) =>
    route.fulfill({ json: [{ kind, unavailable: null, held_by: null }] }),
  );
  let tickets = 0;
  await page.route("**/api/console_ticket", async (route) => {
    const form = new URLSearchParams(route.request().postData() ?? "");
    expect(form.get("kind")).toBe(kind);
    tickets += 1;
    await route.fulfill({
      json: { ticket: `t${tickets}`, expires_in: 30, path: `/vms/${form.get("vm_id")}/console/${kind}` },
    });
  });
  await login(page, info);
  await page.goto("/vms?q=grid-00008");
  await ready(page, info);
  await page.locator("#vms-grid tbody tr td a").first().click();
  await expect(page).toHaveURL(/selected=/);
  const id = new URL(page.url()).searchParams.get("selected")!;
  await page.getByRole("tab", { name: "Console" }).click();
  return id;
}

test("serial console: output, keystrokes, resize, take over, reconnect", async ({ page }, info) => {
  await watchCsp(page);
  const sockets: { url: string; ws: WebSocketRoute; received: (string | Buffer)[] }[] = [];
  await page.routeWebSocket(/\/console\/serial/, (ws) => {
    const entry = { url: ws.url(), ws, received: [] as (string | Buffer)[] };
    sockets.push(entry);
    ws.onMessage((m) => entry.received.push(m));
    ws.send(JSON.stringify({ type: "connected" }));
    ws.send(Buffer.from("Vireo firmware says hello\r\nlogin: "));
  });
  const id = await openConsoleTab(page, "serial", info);
  const section = page.getByRole("region", { name: "Serial console" });
  await expect(section).toHaveAttribute("data-state", "connected");
  await expect(section.getByRole("status")).toHaveText("Connected.");
  expect(sockets[0].url).toMatch(new RegExp(`^ws://[^/]+/vms/${id}/console/serial\\?ticket=t1$`));
  // screenReaderMode: the terminal's text is in the DOM.
  await expect(section.locator(".xterm-accessibility")).toContainText("Vireo firmware says hello");
  // The size goes to the server once connected.
  await expect.poll(() => sockets[0].received.some((m) => typeof m === "string" && m.includes('"resize"'))).toBe(true);
  const resize = JSON.parse(sockets[0].received.find((m) => typeof m === "string" && m.includes("resize")) as string);
  expect(resize.cols).toBeGreaterThan(10);
  expect(resize.rows).toBeGreaterThan(5);
  await expect(section).toContainText(`stty rows ${resize.rows} cols ${resize.cols}`);

  // Keystrokes go out as binary frames.
  await section.locator(".xterm").click();
  await page.keyboard.type("root");
  await page.keyboard.press("Enter");
  const typed = () =>
    Buffer.concat(sockets[0].received.filter((m): m is Buffer => typeof m !== "string")).toString();
  await expect.poll(typed).toBe("root\r");

  // "Paste text": the dialog's text is typed into the console.
  await section.getByRole("button", { name: "Paste text" }).click();
  const paste = page.getByRole("dialog", { name: "Paste text" });
  await paste.getByRole("textbox").fill("echo pasted");
  await paste.getByRole("button", { name: "Send" }).click();
  await expect(paste).toHaveCount(0);
  await expect.poll(typed).toContain("echo pasted");

  // Redraws of the details (live updates) kept the one session.
  expect(sockets).toHaveLength(1);

  // Held by another session: the page offers to take it over.
  sockets[0].ws.send(JSON.stringify({ type: "error", message: "alice has this console open.", held_by: "alice" }));
  await sockets[0].ws.close({ code: 4409, reason: "" });
  await expect(section).toHaveAttribute("data-state", "closed");
  await expect(section.getByRole("status")).toHaveText("alice has this console open.");
  await section.getByRole("button", { name: "Take over" }).click();
  await expect(section).toHaveAttribute("data-state", "connected");
  expect(sockets[1].url).toMatch(/\?ticket=t2&takeover=1$/);
  await expect(section.getByRole("button", { name: "Take over" })).toBeHidden();

  // Dropped by the server: its reason is shown, and Reconnect opens it again.
  await sockets[1].ws.close({ code: 4001, reason: "Taken over by bob" });
  await expect(section.getByRole("status")).toHaveText("Taken over by bob");
  await expect(section.getByRole("button", { name: "Take over" })).toBeHidden();
  await section.getByRole("button", { name: "Reconnect" }).click();
  await expect(section).toHaveAttribute("data-state", "connected");
  expect(sockets[2].url).toMatch(/\?ticket=t3$/);
  await sockets[2].ws.close({ code: 4002, reason: "Closed after 900 s without input." });
  await expect(section.getByRole("status")).toHaveText("Closed after 900 s without input.");

  // Leaving the tab closes the console.
  await section.getByRole("button", { name: "Reconnect" }).click();
  await expect(section).toHaveAttribute("data-state", "connected");
  const closed = new Promise<void>((resolve) => sockets[3].ws.onClose(() => resolve()));
  await page.getByRole("tab", { name: "General" }).click();
  await closed;

  expect(await cspViolations(page)).toEqual([]);
});

/** A minimal VNC server (RFB 3.8, no authentication) for noVNC to connect to. */
function rfbServer(ws: WebSocketRoute, received: Buffer[]) {
  let stage = 0;
  let buffer = Buffer.alloc(0);
  ws.send(JSON.stringify({ type: "connected" }));
  ws.send(Buffer.from("RFB 003.008\n"));
  ws.onMessage((m) => {
    if (typeof m === "string") return;
    received.push(m);
    buffer = Buffer.concat([buffer, m]);
    if (stage === 0 && buffer.length >= 12) {
      buffer = buffer.subarray(12);
      stage = 1;
      ws.send(Buffer.from([1, 1])); // one security type: None
    }
    if (stage === 1 && buffer.length >= 1) {
      buffer = buffer.subarray(1);
      stage = 2;
      ws.send(Buffer.from([0, 0, 0, 0])); // SecurityResult OK
    }
    if (stage === 2 && buffer.length >= 1) {
      buffer = buffer.subarray(1);
      stage = 3;
      const name = Buffer.from("test-vm");
      const init = Buffer.alloc(24);
      init.writeUInt16BE(640, 0);
      init.writeUInt16BE(480, 2);
      Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(init, 4);
      init.writeUInt32BE(name.length, 20);
      ws.send(Buffer.concat([init, name]));
    }
  });
}

test("graphical console: noVNC connects, Ctrl-Alt-Del, clipboard both ways, scaling", async ({ page }, info) => {
  await watchCsp(page);
  const received: Buffer[] = [];
  let socket: WebSocketRoute | undefined;
  await page.routeWebSocket(/\/console\/vnc/, (ws) => {
    socket = ws;
    rfbServer(ws, received);
  });
  await openConsoleTab(page, "vnc", info);
  const section = page.getByRole("region", { name: "Graphical console" });
  await expect(section).toHaveAttribute("data-state", "connected");
  await expect(section.locator("canvas")).toHaveCount(1);
  await expect(section.getByLabel("Scale to fit")).toBeChecked();
  await section.getByLabel("Scale to fit").uncheck();

  const count = (type: number) => received.filter((m) => m[0] === type).length;
  // Ctrl-Alt-Del: KeyEvents (message type 4), press and release of three keys.
  const keysBefore = count(4);
  await section.getByRole("button", { name: "Send Ctrl-Alt-Del" }).click();
  await expect.poll(() => count(4) - keysBefore).toBeGreaterThanOrEqual(1);
  // The guest's clipboard (ServerCutText) shows in the text box; the box's text goes to the guest.
  const text = Buffer.from("from the guest");
  const cut = Buffer.alloc(8);
  cut.writeUInt8(3, 0);
  cut.writeUInt32BE(text.length, 4);
  socket!.send(Buffer.concat([cut, text]));
  await expect(section.getByLabel("Clipboard")).toHaveValue("from the guest");
  await section.getByLabel("Clipboard").fill("to the guest");
  await section.getByRole("button", { name: "Send clipboard" }).click();
  await expect.poll(() => Buffer.concat(received).includes(Buffer.from("to the guest"))).toBe(true);

  await socket!.close({ code: 4003, reason: "The VM stopped." });
  await expect(section).toHaveAttribute("data-state", "closed");
  await expect(section.getByRole("status")).toHaveText("The VM stopped.");
  await expect(section.getByRole("button", { name: "Reconnect" })).toBeVisible();
  expect(await cspViolations(page)).toEqual([]);
});

test("the CSP lets pages open WebSockets to this server only", async ({ page }, info) => {
  await watchCsp(page);
  await login(page, info);
  const opened = await page.evaluate(async () => {
    const attempt = (url: string) =>
      new Promise<string>((resolve) => {
        try {
          const ws = new WebSocket(url);
          ws.onerror = () => resolve("error");
          ws.onclose = () => resolve("closed");
        } catch (e) {
          resolve(`refused: ${(e as Error).name}`);
        }
      });
    const same = await attempt(`ws://${location.host}/vms/00000000-0000-0000-0000-000000000000/console/serial?ticket=x`);
    const other = await attempt("ws://127.0.0.2:9/elsewhere");
    return { same, other };
  });
  expect(opened.same).not.toContain("refused");
  const violations = await cspViolations(page);
  expect(violations.filter((v) => v.includes(page.url().split("/")[2]))).toEqual([]);
  expect(violations.some((v) => v.startsWith("connect-src") && v.includes("127.0.0.2"))).toBe(true);
});
