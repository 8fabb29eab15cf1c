import { z } from 'zod';
import type { CapacitySearchSettings } from '../metrics/capacity-search.js';
import type { SpecPath } from './spec-document.js';

/** Default relative precision of a capacity search (2 %). */
export const DEFAULT_SEARCH_PRECISION = 0.02;
/** Default SLO attainment a searched rate must reach (99 % of requests good). */
export const DEFAULT_SEARCH_ATTAINMENT = 0.99;

/**
 * A workload's rate written as a capacity search instead of a number: `rate: {search: {min, max}}`
 * (trace, typed mix) or `arrival: {rate: {search: {min, max}}}` (lengths, synthetic). The sweep
 * then finds, per policy, the largest rate that is stable and, with an SLO, meets it for
 * `attainment` of the requests (runner/metrics/capacity-search.ts, docs/metrics.md "Capacity").
 * - `min`, `max`: nominal arrival rates bounding the search, requests per second;
 * - `precision`: relative precision of the answer, in (0, 0.5]; default 0.02;
 * - `attainment`: SLO attainment target, in (0, 1]; default 0.99 (ignored without an SLO).
 */
export const RateSearchSchema = z
  .object({
    search: z
      .object({
        min: z.number().positive(),
        max: z.number().positive(),
        precision: z.number().positive().max(0.5).default(DEFAULT_SEARCH_PRECISION),
        attainment: z.number().positive().max(1).default(DEFAULT_SEARCH_ATTAINMENT),
      })
      .strict()
      .refine((s) => s.max >= s.min, { path: ['max'], message: '`max` must be >= `min`' }),
  })
  .strict();

/** A workload grid point with its rate search taken out. */
export interface ExtractedRateSearch {
  /** The entry with the search replaced by its `min` rate, ready for WorkloadSpecSchema. */
  readonly value: Record<string, unknown>;
  /** The search's settings; null when the rate is a number (or absent). */
  readonly search: CapacitySearchSettings | null;
}

/** Where a rate search may sit in a workload entry. */
const SEARCH_PATHS: readonly SpecPath[] = [['rate'], ['arrival', 'rate']];

/**
 * Takes a capacity search out of one workload grid point.
 * @param value the grid point's value (a workload entry, its axes expanded)
 * @param fail builds the error for a problem at a path of the entry (an InputError at its YAML line)
 * @returns the entry with the search replaced by `min`, and the settings
 * @throws what `fail` builds, for a malformed search (unknown field, min > max, ...)
 */
export function extractRateSearch(
  value: Record<string, unknown>,
  fail: (path: SpecPath, message: string) => Error,
): ExtractedRateSearch {
  for (const path of SEARCH_PATHS) {
    const parent = path.length === 1 ? value : value[path[0]];
    if (parent === null || typeof parent !== 'object' || Array.isArray(parent)) continue;
    const raw = (parent as Record<string, unknown>)[path[path.length - 1]];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) continue;
    const parsed = RateSearchSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const message = issue.code === 'unrecognized_keys' ? `unknown field "${issue.keys[0]}"` : issue.message;
      throw fail(
        issue.code === 'unrecognized_keys' ? [...path, ...at, issue.keys[0]] : [...path, ...at],
        message,
      );
    }
    const s = parsed.data.search;
    const replaced =
      path.length === 1
        ? { ...value, rate: s.min }
        : { ...value, [path[0]]: { ...(parent as Record<string, unknown>), rate: s.min } };
    return {
      value: replaced,
      search: { minRps: s.min, maxRps: s.max, precision: s.precision, attainment: s.attainment },
    };
  }
  return { value, search: null };
}

/**
 * Whether a stored sweep spec (SweepRow.specJson) has a capacity search: a workload entry whose
 * `rate` or `arrival.rate` is `{search: ...}`, cheaply, without planning it.
 * @param specJson the validated spec as stored, JSON
 */
export function specHasRateSearch(specJson: string): boolean {
  const spec = JSON.parse(specJson) as { workloads?: unknown };
  if (!Array.isArray(spec.workloads)) return false;
  const isSearch = (v: unknown): boolean => v !== null && typeof v === 'object' && 'search' in v;
  return spec.workloads.some((w: unknown) => {
    if (w === null || typeof w !== 'object') return false;
    const entry = w as { rate?: unknown; arrival?: unknown };
    const arrival = entry.arrival as { rate?: unknown } | null | undefined;
    return (
      isSearch(entry.rate) || (arrival !== null && typeof arrival === 'object' && isSearch(arrival.rate))
    );
  });
}
