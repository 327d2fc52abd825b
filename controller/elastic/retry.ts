// Bounded exponential backoff with full jitter (AWS architecture blog "Exponential Backoff And Jitter").
export interface RetryPolicy {
  /** Total attempts including the first one. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 200, maxMs: 5000 };

/** Delay before retry number `retry` (1-based): random in [0, min(max, base·2^(retry-1))], at least 10 ms. */
export function backoffMs(retry: number, p: RetryPolicy = DEFAULT_RETRY, random: () => number = Math.random): number {
  const ceiling = Math.min(p.maxMs, p.baseMs * 2 ** (retry - 1));
  return Math.max(10, Math.round(random() * ceiling));
}

/** Sleeps `ms` unless the signal aborts first (then rejects with the abort reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
