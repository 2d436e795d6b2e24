// A session's listeners on its BroadcastChannel (src/web/broadcast.rs).

// One session's listeners on its BroadcastChannel (`channel` null where
// there is none: nothing is heard). `add(listener)` returns the function that
// removes it (harmless twice); `clear()` removes every listener. The channel
// has a message handler only while there is a listener: a context that
// listens to nothing does no work when another writes. A message is heard
// only if it is well formed ("refreshed" or "logout", this session, a "0x…"
// hash or null, a number as the generation); listeners get an event built
// from those fields alone, each in turn and only while still subscribed (one
// may unsubscribe another, or close the manager); one that throws is
// reported on the console and the others are still called.
export function sessionListeners(channel, session) {
  let list = [];
  const listen = () => channel && (channel.onmessage = list.length ? hear : null);
  const hear = ({ data }) => {
    const { type, dbHash, generation } = Object(data);
    if (
      (type === "refreshed" || type === "logout") &&
      Object(data).session === session &&
      typeof generation === "number" &&
      (dbHash === null || (typeof dbHash === "string" && dbHash.startsWith("0x")))
    ) {
      const event = { type, session, dbHash, generation };
      for (const entry of list) {
        if (!list.includes(entry)) continue;
        const { listener } = entry;
        try {
          listener(event);
        } catch (error) {
          console.error("cross-tab-refresh: a subscribe() listener threw", error);
        }
      }
    }
  };
  return {
    add(listener) {
      const entry = { listener };
      list = [...list, entry];
      listen();
      return () => {
        list = list.filter((other) => other !== entry);
        listen();
      };
    },
    clear() {
      list = [];
      listen();
    },
  };
}

// Posts `{ type, session, dbHash, generation }` on `channel`; a closed
// channel's error is ignored (the write it reports happened).
export function post(channel, type, session, dbHash, generation) {
  try {
    channel.postMessage({ type, session, dbHash, generation });
  } catch {
    // Best effort.
  }
}
