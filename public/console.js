// Vireo's consoles in the browser: brings each `<section data-console="serial|vnc">` of the page to
// life (the VM's Console sub-tab renders them; see app/src/components/console_tab.rs). Loaded on
// every page as a small ES module; xterm.js and noVNC are fetched only when a console is shown.
//
// The protocol (agreed with the server, server/src/web/console.rs):
// - POST /api/console_ticket (form `vm_id`, `kind`) → JSON { ticket, expires_in, path };
// - WebSocket ws(s)://<this host><path>?ticket=T[&takeover=1]; the server first sends the text
//   frame {"type":"connected"}, or {"type":"error","message":…,"held_by":…} and closes;
// - serial: binary frames are the console's bytes both ways; the page sends
//   {"type":"resize","cols":C,"rows":R} when the terminal's size changes;
// - vnc: binary frames are RFB both ways (subprotocol "binary");
// - close codes: 4409 held by another session (offer "Take over"), 4404 no console now, 4500
//   other errors, 4001 taken over, 4002 idle, 4003 the guest side hung up, 4004 session ended.
//
// Leptos hydrates the page and redraws parts of it on live updates: the script waits for the
// hydration, only fills the two containers the section leaves empty for it, and when a redraw
// replaces a section with an identical one (same VM and kind, within a few seconds) it moves the
// open console into the new one instead of reconnecting.

const VENDOR = "/vendor";
const MAX_PASTE = 64 * 1024;

/** Open consoles by section. */
const mounted = new Map();

// ---------------------------------------------------------------------------------------------
// Loading the libraries (once, on demand)

const loadedScripts = new Map();

/** A classic (UMD) script from the site, once; resolves when it has run. */
function loadScript(src) {
  if (!loadedScripts.has(src)) {
    loadedScripts.set(
      src,
      new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.async = false;
        script.onload = () => resolve();
        script.onerror = () => reject(new Error(`Could not load ${src}.`));
        document.head.appendChild(script);
      }),
    );
  }
  return loadedScripts.get(src);
}

function loadStylesheet(href) {
  if (!document.querySelector(`link[rel="stylesheet"][href="${href}"]`)) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }
}

/** xterm.js 5 ships UMD bundles only: they define globals when loaded as classic scripts. */
async function loadXterm() {
  loadStylesheet(`${VENDOR}/xterm/css/xterm.css`);
  await Promise.all([
    loadScript(`${VENDOR}/xterm/lib/xterm.js`),
    loadScript(`${VENDOR}/addon-fit/lib/addon-fit.js`),
    loadScript(`${VENDOR}/addon-canvas/lib/addon-canvas.js`),
  ]);
  return {
    Terminal: globalThis.Terminal,
    FitAddon: globalThis.FitAddon.FitAddon,
    CanvasAddon: globalThis.CanvasAddon.CanvasAddon,
  };
}

async function loadNoVnc() {
  const module = await import(`${VENDOR}/novnc/core/rfb.js`);
  return module.default;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The words of a server function's JSON error (`AppError`, serde's external tagging). */
function appErrorText(error) {
  if (error === "Unauthorized") return "Your session has ended. Log in again.";
  if (error === "Forbidden") return "Your role does not allow this action.";
  if (error === "Unavailable") return "The console service is unavailable. Try again in a few seconds.";
  if (error === "Internal") return "Something went wrong on the server; the details are in its log.";
  if (error && typeof error === "object") {
    const [kind, body] = Object.entries(error)[0] ?? [];
    if (kind === "NotFound") return `${body?.kind ?? "Object"} not found.`;
    if (kind === "Validation") return (body?.errors ?? []).map((e) => e.message).join(" ") || "The input is not valid.";
    if (body && typeof body.message === "string") return body.message;
  }
  return "The console could not be opened.";
}

async function askTicket(vmId, kind) {
  let response;
  try {
    response = await fetch("/api/console_ticket", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ vm_id: vmId, kind }),
      credentials: "same-origin",
    });
  } catch {
    throw new Error("Vireo cannot be reached. Check the network and try again.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok || !body || typeof body.ticket !== "string" || typeof body.path !== "string") {
    throw new Error(appErrorText(body));
  }
  return body;
}

/** The WebSocket's address: this page's host, ws: or wss: as the page is http: or https:. */
function socketUrl(ticket, takeover) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const path = ticket.path.startsWith("/") ? ticket.path : `/${ticket.path}`;
  const query = new URLSearchParams({ ticket: ticket.ticket });
  if (takeover) query.set("takeover", "1");
  return `${scheme}//${location.host}${path}?${query}`;
}

/** What a close means for the user. `error`: the server's error frame, when it sent one. */
function closeText(event, error, everConnected) {
  const reason = event.reason || error?.message || "";
  switch (event.code) {
    case 4409:
      return reason || (error?.held_by ? `${error.held_by} has this console open.` : "Another session has this console open.");
    case 4001:
      return reason || "Taken over by another session.";
    case 4002:
      return reason || "Closed after being idle for too long.";
    case 4003:
      return reason || "The VM's side of the console hung up (the VM stopped, or libvirt closed the console).";
    case 4004:
      return reason || "Your session has ended. Log in again.";
    case 4404:
      return reason || "The console is not available now (is the VM running?).";
    case 4500:
      return reason || "The console failed on the server.";
    case 1000:
      return reason || "The console was closed.";
    default:
      if (!everConnected) return reason || "Could not connect to the console.";
      return reason || "The connection to the console was lost.";
  }
}

function button(label, onClick, extra = {}) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = extra.className ?? "btn";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

// ---------------------------------------------------------------------------------------------
// One console (serial or graphical)

class Console {
  constructor(section) {
    this.kind = section.dataset.console;
    this.vmId = section.dataset.vmId;
    this.socket = null;
    this.generation = 0;
    this.state = "closed";
    this.message = "";
    this.disposed = false;
    // The nodes the script owns, moved along when a redraw replaces the section.
    this.controls = document.createElement("div");
    this.controls.className = "console-buttons";
    this.screen = document.createElement("div");
    this.screen.className = "console-display";
    this.attach(section);
  }

  get key() {
    return `${this.vmId}/${this.kind}`;
  }

  /** Puts the console's nodes into `section` (the first one, or a redrawn copy). */
  attach(section) {
    this.section = section;
    this.status = section.querySelector('[role="status"]');
    section.querySelector("[data-console-controls]")?.appendChild(this.controls);
    section.querySelector("[data-console-screen]")?.appendChild(this.screen);
    this.show(this.state, this.message);
  }

  show(state, message) {
    this.state = state;
    this.message = message;
    this.section.dataset.state = state;
    if (this.status) this.status.textContent = message;
    if (this.reconnectButton) this.reconnectButton.hidden = state !== "closed";
    if (this.takeoverButton) this.takeoverButton.hidden = !(state === "closed" && this.held);
  }

  addCommonButtons() {
    this.reconnectButton = button("Reconnect", () => this.connect(false));
    this.takeoverButton = button("Take over", () => this.connect(true), { className: "btn btn-danger-outline" });
    this.controls.append(this.reconnectButton, this.takeoverButton);
  }

  /** Asks a ticket, opens the WebSocket and hands it to `this.open(socket)`. */
  async connect(takeover) {
    if (this.disposed) return;
    this.closeSocket();
    const generation = ++this.generation;
    this.held = false;
    this.show("connecting", takeover ? "Taking the console over…" : "Connecting…");
    let ticket;
    try {
      ticket = await askTicket(this.vmId, this.kind);
    } catch (e) {
      if (generation === this.generation) this.show("closed", e.message);
      return;
    }
    if (generation !== this.generation || this.disposed) return;
    let socket;
    try {
      socket = new WebSocket(socketUrl(ticket, takeover), this.kind === "vnc" ? ["binary"] : undefined);
    } catch (e) {
      this.show("closed", `Could not open the console: ${e.message}`);
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    let error = null;
    let connected = false;
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "connected") {
        connected = true;
        this.show("connected", "Connected.");
        this.onConnected();
      } else if (frame.type === "error") {
        error = frame;
      }
    });
    socket.addEventListener("close", (event) => {
      if (generation !== this.generation) return;
      this.socket = null;
      this.held = event.code === 4409;
      this.show("closed", closeText(event, error, connected));
      this.onClosed();
    });
    this.open(socket);
  }

  closeSocket() {
    const socket = this.socket;
    this.socket = null;
    this.generation++;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, "Closed by the page");
  }

  dispose() {
    this.disposed = true;
    this.closeSocket();
    this.controls.remove();
    this.screen.remove();
  }

  onConnected() {}
  onClosed() {}
}

class SerialConsole extends Console {
  async start() {
    this.show("connecting", "Loading the terminal…");
    const { Terminal, FitAddon, CanvasAddon } = await loadXterm();
    if (this.disposed) return;
    this.term = new Terminal({
      screenReaderMode: true,
      cursorBlink: true,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    // The canvas renderer, loaded before open(): xterm's default DOM renderer writes <style>
    // elements, which the site's Content-Security-Policy (style-src 'self') refuses.
    this.term.loadAddon(new CanvasAddon());
    this.term.open(this.screen);
    const encoder = new TextEncoder();
    this.term.onData((data) => this.send(encoder.encode(data)));
    // Bytes xterm reports as "binary" (some mouse modes): one byte per character.
    this.term.onBinary((data) => this.send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    this.term.onResize(() => this.sendSize());
    // Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes (the browser's paste event, which
    // xterm turns into input); plain Ctrl+C stays the guest's interrupt.
    this.term.attachCustomKeyEventHandler((e) => {
      if (e.type === "keydown" && e.ctrlKey && e.shiftKey && (e.key === "C" || e.key === "c")) {
        const text = this.term.getSelection();
        if (text) navigator.clipboard?.writeText(text).catch(() => {});
        e.preventDefault();
        return false;
      }
      if (e.type === "keydown" && e.ctrlKey && e.shiftKey && (e.key === "V" || e.key === "v")) return false;
      return true;
    });
    this.sizeHint = document.createElement("span");
    this.sizeHint.className = "console-size-hint";
    this.addCommonButtons();
    this.controls.append(button("Paste text", () => this.openPaste()), this.sizeHint);
    this.resizeObserver = new ResizeObserver(() => this.refit());
    this.resizeObserver.observe(this.screen);
    this.refit();
    await this.connect(false);
  }

  refit() {
    if (!this.term || !this.screen.isConnected || this.screen.clientWidth === 0) return;
    try {
      this.fit.fit();
    } catch {
      // Not measurable yet (hidden); the next resize fits it.
    }
    this.sizeHint.textContent = `Size ${this.term.cols}×${this.term.rows}: in the guest, stty rows ${this.term.rows} cols ${this.term.cols}`;
  }

  send(bytes) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN && this.state === "connected") this.socket.send(bytes);
  }

  /** A serial line carries no window size: the server records it and the page shows the stty. */
  sendSize() {
    if (!this.term) return;
    this.sizeHint.textContent = `Size ${this.term.cols}×${this.term.rows}: in the guest, stty rows ${this.term.rows} cols ${this.term.cols}`;
    if (this.socket && this.socket.readyState === WebSocket.OPEN && this.state === "connected") {
      this.socket.send(JSON.stringify({ type: "resize", cols: this.term.cols, rows: this.term.rows }));
    }
  }

  open(socket) {
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") this.term.write(new Uint8Array(event.data));
    });
  }

  onConnected() {
    this.sendSize();
    this.term.focus();
  }

  /** "Paste text": a dialog whose text is typed into the console (keystrokes, like xterm's paste). */
  openPaste() {
    const dialog = document.createElement("dialog");
    dialog.className = "modal console-paste";
    dialog.setAttribute("aria-label", "Paste text");
    const heading = document.createElement("h2");
    heading.textContent = "Paste text";
    const label = document.createElement("label");
    label.textContent = "Text to type into the console";
    const area = document.createElement("textarea");
    area.rows = 8;
    area.maxLength = MAX_PASTE;
    label.appendChild(area);
    const footer = document.createElement("footer");
    footer.className = "modal-footer";
    const close = () => {
      dialog.close();
      dialog.remove();
      this.term.focus();
    };
    footer.append(
      button("Cancel", close),
      button(
        "Send",
        () => {
          const text = area.value;
          close();
          if (text) this.term.paste(text);
        },
        { className: "btn btn-primary" },
      ),
    );
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      close();
    });
    dialog.append(heading, label, footer);
    this.section.appendChild(dialog);
    dialog.showModal();
    area.focus();
  }

  dispose() {
    super.dispose();
    this.resizeObserver?.disconnect();
    this.term?.dispose();
  }
}

/**
 * The WebSocket as noVNC's "raw channel": noVNC takes over the socket's on* handlers and checks
 * that the channel's class has each property it uses; this adapter gives it exactly those, while
 * the page keeps its own listeners (close codes, the server's text frames) on the socket itself.
 */
class RfbChannel {
  constructor(socket) {
    this.socket = socket;
  }
  send(data) {
    this.socket.send(data);
  }
  close(code, reason) {
    this.socket.close(code, reason);
  }
  get binaryType() {
    return this.socket.binaryType;
  }
  set binaryType(type) {
    this.socket.binaryType = type;
  }
  get protocol() {
    return this.socket.protocol;
  }
  get readyState() {
    return this.socket.readyState;
  }
  get onopen() {
    return this.socket.onopen;
  }
  set onopen(f) {
    this.socket.onopen = f;
  }
  get onmessage() {
    return this.socket.onmessage;
  }
  set onmessage(f) {
    this.socket.onmessage = f;
  }
  get onclose() {
    return this.socket.onclose;
  }
  set onclose(f) {
    this.socket.onclose = f;
  }
  get onerror() {
    return this.socket.onerror;
  }
  set onerror(f) {
    this.socket.onerror = f;
  }
}

class VncConsole extends Console {
  async start() {
    this.show("connecting", "Loading the viewer…");
    this.RFB = await loadNoVnc();
    if (this.disposed) return;
    this.addCommonButtons();
    this.cadButton = button("Send Ctrl-Alt-Del", () => this.rfb?.sendCtrlAltDel());
    const scaleLabel = document.createElement("label");
    scaleLabel.className = "check";
    this.scale = document.createElement("input");
    this.scale.type = "checkbox";
    this.scale.checked = true;
    this.scale.addEventListener("change", () => {
      if (this.rfb) this.rfb.scaleViewport = this.scale.checked;
    });
    scaleLabel.append(this.scale, " Scale to fit");
    // Clipboard text both ways: what the guest copies appears here; "Send clipboard" hands this
    // text to the guest's clipboard.
    const clipLabel = document.createElement("label");
    clipLabel.className = "console-clipboard";
    clipLabel.textContent = "Clipboard";
    this.clipboard = document.createElement("textarea");
    this.clipboard.rows = 2;
    this.clipboard.maxLength = MAX_PASTE;
    clipLabel.appendChild(this.clipboard);
    const sendClip = button("Send clipboard", () => this.rfb?.clipboardPasteFrom(this.clipboard.value));
    this.controls.append(this.cadButton, scaleLabel, clipLabel, sendClip);
    await this.connect(false);
  }

  open(socket) {
    this.rfb?.disconnect();
    const rfb = new this.RFB(this.screen, new RfbChannel(socket));
    rfb.scaleViewport = this.scale.checked;
    rfb.resizeSession = false;
    rfb.focusOnClick = true;
    rfb.addEventListener("clipboard", (e) => {
      this.clipboard.value = e.detail.text;
    });
    rfb.addEventListener("securityfailure", (e) => {
      this.show("closed", `The display refused the connection: ${e.detail.reason || "security failure"}.`);
    });
    this.rfb = rfb;
  }

  onClosed() {
    this.rfb = null;
  }

  dispose() {
    try {
      this.rfb?.disconnect();
    } catch {
      // Already gone.
    }
    super.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Mounting: sections at load and those Leptos adds later (client-side navigation, redraws)

function openable(section) {
  return (
    (section.dataset.console === "serial" || section.dataset.console === "vnc") &&
    section.dataset.state !== "unavailable" &&
    section.dataset.vmId &&
    section.querySelector("[data-console-screen]")
  );
}

/** Sections added since the last settle. */
const added = new Set();
let settleQueued = false;

function mount(section) {
  if (mounted.has(section) || !openable(section)) return;
  const console = section.dataset.console === "serial" ? new SerialConsole(section) : new VncConsole(section);
  mounted.set(section, console);
  console.start().catch((e) => console.show("closed", `The console could not start: ${e.message}`));
}

/**
 * How long a console whose section left the page stays open, waiting for a redraw to bring an
 * identical section back: a live update may redraw the VM's details (the section goes, "Loading…"
 * shows, then the section returns), which must not cost the user the session.
 */
const ORPHAN_GRACE_MS = 3000;

/**
 * After DOM changes: a new section takes over the open console of a removed one with the same VM
 * and kind, other new sections get a console of their own, and consoles whose section has been
 * gone for longer than the grace period close.
 */
function settle() {
  settleQueued = false;
  for (const section of added) {
    if (!section.isConnected || mounted.has(section) || !openable(section)) continue;
    const key = `${section.dataset.vmId}/${section.dataset.console}`;
    const orphan = [...mounted].find(([old, c]) => !old.isConnected && c.key === key);
    if (orphan) {
      mounted.delete(orphan[0]);
      orphan[1].orphanedAt = null;
      mounted.set(section, orphan[1]);
      orphan[1].attach(section);
    } else {
      mount(section);
    }
  }
  added.clear();
  const now = Date.now();
  for (const [section, console] of mounted) {
    if (section.isConnected) continue;
    if (console.orphanedAt == null) {
      console.orphanedAt = now;
      setTimeout(queueSettle, ORPHAN_GRACE_MS);
    } else if (now - console.orphanedAt >= ORPHAN_GRACE_MS) {
      mounted.delete(section);
      console.dispose();
    }
  }
}

function queueSettle() {
  if (!settleQueued) {
    settleQueued = true;
    setTimeout(settle, 0);
  }
}

function collect(root) {
  if (root.matches?.("section[data-console]")) added.add(root);
  root.querySelectorAll?.("section[data-console]").forEach((s) => added.add(s));
}

function start() {
  document.querySelectorAll("section[data-console]").forEach(mount);
  new MutationObserver((records) => {
    for (const record of records) record.addedNodes.forEach((node) => node.nodeType === 1 && collect(node));
    if (records.some((r) => r.addedNodes.length > 0 || r.removedNodes.length > 0)) queueSettle();
  }).observe(document.body, { childList: true, subtree: true });
}

/** After hydration: Leptos must find the server's markup as it rendered it. */
function whenHydrated(then) {
  const root = document.getElementById("vireo-root");
  if (!root || root.dataset.hydrated === "true") return then();
  const watch = new MutationObserver(() => {
    if (root.dataset.hydrated === "true") {
      watch.disconnect();
      then();
    }
  });
  watch.observe(root, { attributes: true, attributeFilter: ["data-hydrated"] });
}

whenHydrated(start);
