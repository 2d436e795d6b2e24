// The plain-JS way of doing the library's work, for the benchmark only:
// Web Locks + raw IndexedDB + crypto.subtle, with the same fenced write and,
// as the library does after every save, a BroadcastChannel message telling
// the other tabs the new hash and generation.
const STORE = "sessions";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

async function sha256(tokens) {
  const bytes = new TextEncoder().encode(tokens.accessToken + (tokens.refreshToken ?? ""));
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

const hex = (bytes) => "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const equal = (a, b) => a === b || (a && b && a.length === b.length && a.every((x, i) => x === b[i]));

export class PlainManager {
  static async open({ session, databaseName = "plain-refresh" }) {
    const open = indexedDB.open(databaseName, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    const db = await request(open);
    db.onversionchange = () => db.close();
    const channel = new BroadcastChannel(`plain:${databaseName}`);
    return new PlainManager(db, channel, session, `plain:${databaseName}:${session}`);
  }

  constructor(db, channel, session, lockName) {
    this.db = db;
    this.channel = channel;
    this.session = session;
    this.lockName = lockName;
    this.known = null;
  }

  async restoreSession(tokens) {
    this.known = await sha256(tokens);
  }

  /** Resolves with a guard once the lock is held and the stored record read. */
  spinLock({ timeoutMs = 60_000 } = {}) {
    return new Promise((resolve, reject) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let release;
      const held = new Promise((r) => (release = r));
      navigator.locks
        .request(this.lockName, { signal: controller.signal }, async () => {
          clearTimeout(timer);
          try {
            const tx = this.db.transaction(STORE);
            const record = (await request(tx.objectStore(STORE).get(this.session))) ?? { hash: null, generation: 0 };
            const mismatch = record.hash !== null && !equal(record.hash, this.known);
            resolve(new PlainGuard(this, record, mismatch, release));
          } catch (error) {
            reject(error);
            release();
          }
          return held;
        })
        .catch(reject);
    });
  }
}

class PlainGuard {
  constructor(manager, record, mismatch, release) {
    this.manager = manager;
    this.generation = record.generation;
    this.dbHash = record.hash;
    this.hashMismatch = mismatch;
    this.release = release;
  }

  async saveInMemoryAndDb(tokens) {
    const hash = await sha256(tokens);
    const { db, session } = this.manager;
    const tx = db.transaction(STORE, "readwrite");
    const store = tx.objectStore(STORE);
    const record = (await request(store.get(session))) ?? { generation: 0 };
    if (record.generation !== this.generation) {
      tx.abort();
      throw Object.assign(new Error("fenced"), { name: "FencedError" });
    }
    store.put({ format: 1, hash, generation: this.generation + 1 }, session);
    await done(tx);
    this.generation += 1;
    this.manager.known = hash;
    this.manager.channel.postMessage({ type: "refreshed", session, dbHash: hex(hash), generation: this.generation });
  }

  async handleMismatch(tokens) {
    const hash = await sha256(tokens);
    if (this.dbHash !== null && !equal(this.dbHash, hash)) await this.saveInMemoryAndDb(tokens);
    this.manager.known = hash;
  }

  /** The refresh flow, as the library runs it (single flight aside). */
  static async refresh(manager, handlers) {
    const guard = await manager.spinLock();
    try {
      if (guard.hashMismatch) {
        const tokens = await handlers.reload();
        await guard.handleMismatch(tokens);
        return { outcome: "adopted", tokens };
      }
      const tokens = await handlers.refresh();
      await handlers.save?.(tokens);
      await guard.saveInMemoryAndDb(tokens);
      return { outcome: "refreshed", tokens };
    } finally {
      guard.release();
    }
  }
}

export { PlainGuard };
