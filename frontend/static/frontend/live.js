// The live meeting protocol (docs/protocol.md): one socket, {type, id, payload} requests answered
// by ack/error, events with the log's sequence number. Reconnects by itself and resumes with
// `sync {after: last seq}`, so a dropped connection loses nothing. A refusal (4401 not logged in or the
// login ended, 4403 not of this body, 4404 no such meeting) is final: it reports "refused" with the
// code and does not reconnect, since trying again would be refused the same way.

const REFUSALS = new Set([4401, 4403, 4404]);

export class LiveSocket {
  constructor(path, { onEvent, onMessage, onStatus, member = true } = {}) {
    this.path = path;
    this.member = member;
    this.onEvent = onEvent || (() => {});
    this.onMessage = onMessage || (() => {});
    this.onStatus = onStatus || (() => {});
    this.lastSeq = 0;
    this.pending = new Map();
    this.nextId = 1;
    this.retry = 500;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${scheme}://${location.host}${this.path}`);
    this.onStatus("connecting");
    this.ws.onmessage = (e) => this.receive(JSON.parse(e.data));
    this.ws.onclose = (e) => {
      for (const { reject } of this.pending.values()) reject(new Error("connection lost"));
      this.pending.clear();
      if (REFUSALS.has(e.code)) {
        this.onStatus("refused", e.code);
        return;
      }
      this.onStatus("offline");
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 10000);
    };
  }

  async receive(msg) {
    if (msg.type === "hello") {
      this.retry = 500;
      await this.request("sync", { after: this.lastSeq });
      this.onStatus("online");
      return;
    }
    if (msg.type === "state" && msg.in_response == null) {  // the public socket's first message
      this.retry = 500;
      this.lastSeq = msg.seq;
      this.onStatus("online");
      this.onMessage(msg);
      return;
    }
    if (msg.type === "event") {
      if (msg.seq <= this.lastSeq) return;
      this.lastSeq = msg.seq;
      this.onEvent(msg);
      return;
    }
    const waiter = msg.in_response != null && this.pending.get(msg.in_response);
    if (waiter) {
      this.pending.delete(msg.in_response);
      if (msg.type === "error") waiter.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
      else waiter.resolve(msg);
      return;
    }
    this.onMessage(msg);
  }

  request(type, payload = {}) {
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new Error("not connected"));
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ type, id, payload }));
    });
  }
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

// Deprecated: the scripts translate through ./i18n.js (gettext, Django's JavaScriptCatalog). `lang` and
// `t(nb, en)` stay only until the last modules that import them are converted; write no new use.
export const lang = document.documentElement.lang.startsWith("en") ? "en" : "nb";
export const t = (nb, en) => (lang === "en" ? en : nb);
