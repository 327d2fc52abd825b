// The one abortable sleep: every wait of a run (retries, gates, wait_for, until/delay) stops at Ctrl-C or the end
// of the maintenance window instead of sleeping on.

/** Sleeps `ms`; resolves true, or false as soon as the signal aborts. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Sleeps `ms` unless the signal aborts first (then rejects with the abort reason). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!(await sleepUnlessAborted(ms, signal))) throw signal?.reason ?? new Error('aborted');
}
