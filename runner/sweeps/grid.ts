import type { InputError } from '../errors.js';
import type { SpecDocument, SpecPath } from './spec-document.js';
import { DEFAULT_REQUEST_LIMIT, DEFAULT_RUN_LIMIT, type SweepSpec } from './sweep-spec.js';

/**
 * Keys whose list values are data, not grid axes: a typed mix's `types`, a policy's explicit
 * `thresholds` (WAIT, Nested WAIT) and segment `boundaries` (Nested WAIT). To compare several
 * such lists, write one policy entry per list.
 */
export const NON_AXIS_KEYS = new Set(['types', 'thresholds', 'boundaries']);

/** One grid point of an expanded spec entry. */
export interface GridPoint {
  /** The entry with every axis replaced by one of its values. */
  value: Record<string, unknown>;
  /** The axis values chosen, by dotted path (`arrival.rate` -> 2), for labels. */
  axes: Record<string, unknown>;
  /**
   * For each axis, the path in this point (`['arrival', 'rate']`) and the path of the chosen
   * element in the original entry (`['arrival', 'rate', 1]`), so errors can name the YAML line.
   */
  origins: { pointPath: SpecPath; sourcePath: SpecPath }[];
}

/**
 * Expands every list-valued field of a spec entry into a grid (cartesian product), recursing
 * into nested objects; lists of objects are axes too (each element expanded in turn). Keys in
 * NON_AXIS_KEYS keep their list. Order: the first key varies slowest, list order is kept.
 * @param entry one workload or policy entry as written in the spec
 */
export function expandGrid(entry: Record<string, unknown>): GridPoint[] {
  return expandObject(entry, []);
}

function expandObject(obj: Record<string, unknown>, at: SpecPath): GridPoint[] {
  let points: GridPoint[] = [{ value: {}, axes: {}, origins: [] }];
  for (const [key, raw] of Object.entries(obj)) {
    const path = [...at, key];
    const options = expandValue(raw, path, NON_AXIS_KEYS.has(key));
    const next: GridPoint[] = [];
    for (const p of points) {
      for (const o of options) {
        next.push({
          value: { ...p.value, [key]: o.value },
          axes: { ...p.axes, ...o.axes },
          origins: [...p.origins, ...o.origins],
        });
      }
    }
    points = next;
  }
  return points;
}

interface ValueOption {
  value: unknown;
  axes: Record<string, unknown>;
  origins: GridPoint['origins'];
}

function expandValue(raw: unknown, path: SpecPath, keepList: boolean): ValueOption[] {
  if (Array.isArray(raw) && !keepList) {
    const out: ValueOption[] = [];
    raw.forEach((element, i) => {
      for (const o of expandValue(element, [...path, i], false)) {
        const isScalar = element === null || typeof element !== 'object';
        out.push({
          value: o.value,
          axes: isScalar ? { ...o.axes, [path.join('.')]: element } : { ...o.axes, [path.join('.')]: i },
          origins: [
            { pointPath: path, sourcePath: [...path, i] },
            // Inside the element, the point has no list index: drop it from the point path.
            ...o.origins.map((x) => ({
              pointPath: [...path, ...x.pointPath.slice(path.length + 1)],
              sourcePath: x.sourcePath,
            })),
          ],
        });
      }
    });
    return out;
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    return expandObject(raw as Record<string, unknown>, path).map((p) => ({
      value: p.value,
      axes: p.axes,
      origins: p.origins,
    }));
  }
  return [{ value: raw, axes: {}, origins: [] }];
}

/**
 * Maps a path inside a grid point back to the path in the original entry, through the axis the
 * path runs through (the longest matching axis prefix).
 */
export function sourcePathOf(point: GridPoint, pointPath: SpecPath): SpecPath {
  let best: GridPoint['origins'][number] | undefined;
  for (const o of point.origins) {
    if (o.pointPath.length <= pointPath.length && o.pointPath.every((p, i) => p === pointPath[i])) {
      if (!best || o.pointPath.length > best.pointPath.length) best = o;
    }
  }
  if (!best) return pointPath;
  return [...best.sourcePath, ...pointPath.slice(best.pointPath.length)];
}

/**
 * The number of grid points {@link expandGrid} would give for `entry`, counted from the list
 * lengths without expanding anything: a product over an object's keys, a sum over a list's
 * elements (each counted in turn), 1 for a scalar or a NON_AXIS_KEYS list. May be Infinity for a
 * grid too large for a double. Shared subtrees (YAML aliases) are counted once per object.
 * @param entry one workload or policy entry as written in the spec
 */
export function countGrid(entry: Record<string, unknown>): number {
  return countObject(entry, new WeakMap());
}

function countObject(obj: Record<string, unknown>, seen: WeakMap<object, number>): number {
  const known = seen.get(obj);
  if (known !== undefined) return known;
  let n = 1;
  for (const [key, raw] of Object.entries(obj)) n *= countValue(raw, NON_AXIS_KEYS.has(key), seen);
  seen.set(obj, n);
  return n;
}

function countValue(raw: unknown, keepList: boolean, seen: WeakMap<object, number>): number {
  if (Array.isArray(raw)) {
    if (keepList) return 1;
    let n = 0;
    for (const element of raw) n += countValue(element, false, seen);
    return n;
  }
  if (raw !== null && typeof raw === 'object') return countObject(raw as Record<string, unknown>, seen);
  return 1;
}

/** Formats a count for a message: the integer, or its exponent form when past 2^53. */
function showCount(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : n === Infinity ? 'more than 1e308' : n.toExponential(2);
}

/**
 * Checks a validated spec's sizes before anything is expanded or allocated: its run count
 * (workload points x policy points x seeds x machines, from the list lengths alone; each factor on its own
 * too, so an empty axis cannot hide a huge grid) against `limits.runs`, and every `requests`
 * (the spec's, and each workload's, list elements included) against `limits.requests`.
 * @param doc the parsed spec, for lines
 * @param spec the spec as validated by SweepSpecSchema (entries not expanded)
 * @throws InputError naming the count, the limit and how to raise it
 */
export function checkSpecSize(doc: SpecDocument, spec: SweepSpec): void {
  const runLimit = spec.limits?.runs ?? DEFAULT_RUN_LIMIT;
  const workloadPoints = spec.workloads.reduce((n, w) => n + countGrid(w), 0);
  const policyPoints = spec.policies.reduce((n, p) => n + countGrid(p), 0);
  const machines = Array.isArray(spec.machine) ? spec.machine.length : 1;
  const runs = workloadPoints * policyPoints * spec.seeds.length * machines;
  if (Math.max(runs, workloadPoints, policyPoints, spec.seeds.length, machines) > runLimit) {
    const grid =
      `${showCount(workloadPoints)} workload points x ${showCount(policyPoints)} policy points x ` +
      `${spec.seeds.length} seeds${machines > 1 ? ` x ${machines} machines` : ''}`;
    // An empty axis makes 0 runs; the axis that is too long alone is then what to shrink.
    const size =
      runs > runLimit
        ? `the sweep has ${showCount(runs)} runs (${grid}), more than the limit of ${runLimit}`
        : `one axis of the sweep alone is longer than the run limit of ${runLimit} (${grid})`;
    const perAxis = runs > runLimit && Math.max(workloadPoints, policyPoints, spec.seeds.length) > runLimit;
    throw doc.errorAt(
      spec.limits?.runs !== undefined ? ['limits', 'runs'] : [],
      `${size}${perAxis ? ' (per axis too)' : ''}; ` +
        'shrink the grid, or raise the limit with `limits: {runs: N}` in the spec',
    );
  }
  const requestLimit = spec.limits?.requests ?? DEFAULT_REQUEST_LIMIT;
  const tooMany = (path: SpecPath, n: number): InputError =>
    doc.errorAt(
      path,
      `${showCount(n)} requests per run is more than the limit of ${requestLimit}; lower it, or raise ` +
        'the limit with `limits: {requests: N}` in the spec',
    );
  if (spec.requests !== undefined && spec.requests > requestLimit) throw tooMany(['requests'], spec.requests);
  spec.workloads.forEach((w, i) => {
    const raw = w.requests;
    const values = Array.isArray(raw) ? raw : [raw];
    values.forEach((n, j) => {
      if (typeof n === 'number' && n > requestLimit) {
        throw tooMany(Array.isArray(raw) ? ['workloads', i, 'requests', j] : ['workloads', i, 'requests'], n);
      }
    });
  });
}
