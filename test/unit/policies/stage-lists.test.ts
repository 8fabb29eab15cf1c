import { describe, expect, it } from 'vitest';
import { StageLists } from '../../../runner/schedulers/stage-lists.js';
import { mulberry32 } from '../../helpers/mulberry32.js';

/** Type j's listed ids in walk order (highest stage first, each stage front first); leaves the list as it was. */
function contents(lists: StageLists, j: number, out: Int32Array): number[] {
  const n = lists.take(j, Infinity, out, 0);
  const ids = [...out.subarray(0, n)];
  lists.pushBackAll(j, out, 0, n);
  lists.settle();
  return ids;
}

/** Per-stage FIFO queues of one type, the reference the lists must agree with. */
type Model = Map<number, number[]>;

/** The reference walk: for every stage, highest first, the first min(limit, size) ids, removed. */
function modelTake(model: Model, limit: number): number[] {
  const out: number[] = [];
  for (const stage of [...model.keys()].sort((a, b) => b - a)) {
    out.push(...model.get(stage)!.splice(0, Math.min(limit, model.get(stage)!.length)));
  }
  return out;
}

function modelWalk(model: Model): number[] {
  return [...model.keys()].sort((a, b) => b - a).flatMap((stage) => model.get(stage)!);
}

describe('StageLists', () => {
  it('walks stages highest first, front first, and keeps per-stage FIFO order across settles', () => {
    const typeOf = Int32Array.from([0, 0, 0, 0, 1, 1]);
    const stageOf = new Int32Array(6);
    const lists = new StageLists(typeOf, 2, stageOf);
    const out = new Int32Array(6);
    [stageOf[0], stageOf[1], stageOf[2], stageOf[3]] = [2, 5, 2, 1];
    for (const id of [0, 1, 2, 3]) lists.pushBack(0, id);
    lists.settle();
    expect(contents(lists, 0, out)).toEqual([1, 0, 2, 3]);
    // Take one per stage: 1 (stage 5), 0 (stage 2, front), 3 (stage 1); 2 stays at stage 2.
    expect([...out.subarray(0, lists.take(0, 1, out, 0))]).toEqual([1, 0, 3]);
    stageOf[0] = 3;
    stageOf[3] = 2;
    lists.pushBack(0, 0);
    lists.pushBack(0, 3); // behind 2, which stayed at stage 2
    stageOf[1] = 2;
    lists.pushFront(0, 1); // in front of 2
    lists.settle();
    expect(contents(lists, 0, out)).toEqual([0, 1, 2, 3]);
    expect(lists.remove(0, 2)).toBe(true);
    expect(lists.remove(0, 2)).toBe(false);
    expect(contents(lists, 0, out)).toEqual([0, 1, 3]);
    expect(lists.size(0)).toBe(3);
    expect(lists.size(1)).toBe(0);
    expect(() => {
      lists.take(1, 1, out, 0);
      lists.take(1, 1, out, 0);
    }).toThrow(RangeError);
  });

  it('refuses more ids than a type has requests', () => {
    const lists = new StageLists(Int32Array.from([0, 0]), 1, Int32Array.from([1, 1]));
    lists.pushBack(0, 0);
    lists.pushBack(0, 1);
    expect(() => lists.pushBack(0, 1)).toThrow(/listed twice/);
  });

  it('matches per-stage FIFO queues under random takes, pushes and removals', () => {
    const u = mulberry32(11);
    const pick = (n: number) => Math.floor(u() * n);
    const types = 4;
    const n = 400;
    const typeOf = Int32Array.from({ length: n }, (_, id) => id % types);
    const stageOf = new Int32Array(n);
    const lists = new StageLists(typeOf, types, stageOf);
    const models: Model[] = Array.from({ length: types }, () => new Map());
    const listed = new Set<number>();
    const out = new Int32Array(n);
    const at = (j: number, stage: number) => {
      if (!models[j].has(stage)) models[j].set(stage, []);
      return models[j].get(stage)!;
    };
    for (let round = 0; round < 600; round++) {
      const taken: number[] = [];
      for (let j = 0; j < types; j++) {
        if (u() < 0.5) continue;
        const limit = [0, 1, 2, 3, Infinity][pick(5)];
        const got = [...out.subarray(0, lists.take(j, limit, out, 0))];
        expect(got).toEqual(modelTake(models[j], limit));
        for (const id of got) listed.delete(id);
        taken.push(...got);
      }
      // Removals of listed ids (any type, opened or not).
      for (const id of [...listed]) {
        if (u() >= 0.03) continue;
        const j = typeOf[id];
        expect(lists.remove(j, id)).toBe(true);
        const q = at(j, stageOf[id]);
        q.splice(q.indexOf(id), 1);
        listed.delete(id);
      }
      // New ids join at low stages; taken ids move up a stage, stay, restart, or leave.
      const fresh = Array.from({ length: pick(6) }, () => pick(n)).filter(
        (id) => !listed.has(id) && !taken.includes(id),
      );
      for (const id of [...taken, ...new Set(fresh)]) {
        const r = u();
        if (r < 0.1) continue; // leaves (finished)
        const j = typeOf[id];
        stageOf[id] = r < 0.7 ? stageOf[id] + 1 : r < 0.8 ? stageOf[id] : 1 + pick(8);
        if (u() < 0.2) {
          lists.pushFront(j, id);
          at(j, stageOf[id]).unshift(id);
        } else {
          lists.pushBack(j, id);
          at(j, stageOf[id]).push(id);
        }
        listed.add(id);
      }
      lists.settle();
      if (round % 50 === 0) {
        for (let j = 0; j < types; j++) expect(contents(lists, j, out)).toEqual(modelWalk(models[j]));
      }
    }
    for (let j = 0; j < types; j++) expect(contents(lists, j, out)).toEqual(modelWalk(models[j]));
  });
});
