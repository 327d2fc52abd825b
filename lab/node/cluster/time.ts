// ES time values (`30s`, `500ms`, `1m`, `-1`) for request parameters.
import { illegalArgument } from '../http-error.js';

const UNITS: Record<string, number> = {
  nanos: 1e-6,
  micros: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export function parseTimeMs(value: string, param: string): number {
  if (value === '-1') return Number.MAX_SAFE_INTEGER;
  const m = /^(\d+(?:\.\d+)?)(nanos|micros|ms|s|m|h|d)$/.exec(value.trim());
  if (!m)
    throw illegalArgument(
      `failed to parse setting [${param}] with value [${value}] as a time value: unit is missing or unrecognized`,
    );
  return Number(m[1]) * UNITS[m[2]!]!;
}
