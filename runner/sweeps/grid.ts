import type { SpecPath } from './spec-document.js';

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
