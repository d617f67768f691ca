// A page's copy of the server's state, kept current by folding each event's `state_patch` into it
// (docs/protocol.md, "Server events") instead of fetching the whole state again after every event.
// The patch is the server's own diff of its document (meetings/state_patch.py): the page applies it
// and decides nothing, so the facts it shows (presence, results) are still the server's.

// RFC 6902 operations: "add", "replace" and "remove" on object members, "add" at "/<list>/-" appends;
// "path": "" is the whole document.
export function applyPatch(doc, ops) {
  for (const op of ops) {
    if (op.path === "") { doc = op.value; continue; }
    const keys = op.path.slice(1).split("/").map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
    let target = doc;
    for (const key of keys.slice(0, -1)) {
      target = target[key];
      if (target === null || typeof target !== "object") throw new Error(`state_patch: no ${op.path}`);
    }
    const last = keys[keys.length - 1];
    if (op.op === "remove") delete target[last];
    else if (op.op === "add" && Array.isArray(target) && last === "-") target.push(op.value);
    else if (op.op === "add" || op.op === "replace") target[last] = op.value;
    else throw new Error(`state_patch: unknown op ${op.op}`);
  }
  return doc;
}

// load() answers {seq, state} from the server; follows(msg, seq) says whether an event comes right
// after the seq held (members: seq + 1; the public, which sees a subsequence: prev_public_seq <= seq).
// A gap, or an event without a patch (replayed from the log), loads the whole state once more.
export class FoldedState {
  constructor({ load, follows, onChange }) {
    this.load = load;
    this.follows = follows;
    this.onChange = onChange || (() => {});
    this.state = null;
    this.seq = null;
    this.stale = true;  // until a whole state arrives; events before it are in it
    this.loading = null;
  }

  reload() {
    if (this.loading) return this.loading;
    this.stale = true;
    this.loading = (async () => {
      try {
        const { seq, state } = await this.load();
        this.adopt(seq, state);
      } catch (e) { /* offline: the next connect loads again */ } finally { this.loading = null; }
    })();
    return this.loading;
  }

  // A whole state (the socket's first `state`, a `state` reply, or a fetched document): taken
  // unless it is older than the one held.
  adopt(seq, state) {
    if (state == null) return;
    if (!this.stale && this.seq !== null && seq < this.seq) return;
    this.state = state;
    this.seq = seq;
    this.stale = false;
    this.onChange(this.state);
  }

  event(msg) {
    if (this.stale || msg.seq <= this.seq) return;
    if (!msg.state_patch || !this.follows(msg, this.seq)) { this.reload(); return; }
    try {
      this.state = applyPatch(this.state, msg.state_patch);
    } catch (e) { this.reload(); return; }
    this.seq = msg.seq;
    this.onChange(this.state);
  }

  disconnected() { this.stale = true; }
}

// Render at most once per task however many events arrive together (a burst of ballots).
export function coalesce(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    setTimeout(() => { queued = false; fn(); }, 0);
  };
}
