// What ends a wait: an abort signal, a timer (src/web/wait.rs).

// An abort signal as a promise that can be disposed of: a wait that ends
// otherwise removes its listener. Disposing also settles the promise, so
// that whatever awaits it is let go (a promise that never settles would keep
// its callbacks, and what they hold, for ever).
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

// A promise that resolves after `ms`, and `dispose()`, which clears the
// timer and settles the promise at once (as `whenAborted`'s does).
export function afterDelay(ms) {
  let settle;
  const promise = new Promise((resolve) => {
    settle = resolve;
  });
  const id = setTimeout(settle, ms);
  return {
    promise,
    dispose: () => {
      clearTimeout(id);
      settle();
    },
  };
}
