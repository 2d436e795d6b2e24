// Timers and abort signals as promises that can be disposed of: a wait that
// ends otherwise clears its timer and removes its listener. Disposing also
// settles the promise, so that whatever awaits it is let go (a promise that
// never settles would keep its callbacks, and what they hold, for ever).

export function timer(ms) {
  let id;
  let settle;
  const promise = new Promise((resolve) => {
    settle = resolve;
    id = setTimeout(resolve, ms);
  });
  const dispose = () => {
    clearTimeout(id);
    settle();
  };
  return { promise, dispose };
}

export function whenAborted(signal) {
  let settle;
  const promise = new Promise((resolve) => {
    settle = resolve;
  });
  if (signal.aborted) {
    settle(signal.reason);
    return { promise, dispose: () => {} };
  }
  const onAbort = () => settle(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const dispose = () => {
    signal.removeEventListener("abort", onAbort);
    settle();
  };
  return { promise, dispose };
}
