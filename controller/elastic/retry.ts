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
