// One Web Locks request, held until its release function is called.
//
// `granted` resolves with that function once the lock is held, or with null
// when an `ifAvailable` request finds the lock taken; it rejects when the
// request fails or is aborted. `abandon()` is for a waiter that went away:
// a lock granted to nobody is released at once, and a rejection nobody
// awaits is swallowed.
export function requestLock(locks, name, options) {
  let abandoned = false;
  let release;
  const held = new Promise((resolve) => {
    release = resolve;
  });
  const granted = new Promise((resolve, reject) => {
    locks
      .request(name, options, (lock) => {
        if (lock === null) {
          resolve(null);
          return undefined;
        }
        if (abandoned) return undefined;
        resolve(release);
        return held;
      })
      .catch(reject);
  });
  const abandon = () => {
    abandoned = true;
    release();
    granted.catch(() => {});
  };
  return { granted, abandon };
}
