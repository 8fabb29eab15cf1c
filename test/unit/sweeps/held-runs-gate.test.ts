import { describe, expect, it } from 'vitest';
import { HeldRunsGate } from '../../../runner/sweeps/held-runs-gate.js';

/** 'held' while the promise is pending once everything already queued has run. */
async function state(p: Promise<void>): Promise<'passed' | 'rejected' | 'held'> {
  const pending = Symbol('pending');
  const settled = await Promise.race([
    p.then(
      () => 'passed' as const,
      () => 'rejected' as const,
    ),
    new Promise<typeof pending>((resolve) => setImmediate(() => resolve(pending))),
  ]);
  return settled === pending ? 'held' : settled;
}

describe('HeldRunsGate', () => {
  it('holds runs until each is released, and refuses to release a run it does not hold', async () => {
    let changes = 0;
    const hold = new HeldRunsGate(() => changes++);
    const a = hold.gate(1, new AbortController().signal);
    const b = hold.gate(2, undefined);
    expect(hold.held()).toEqual([1, 2]);
    hold.release(2);
    expect(await state(b)).toBe('passed');
    expect(await state(a)).toBe('held');
    expect(hold.held()).toEqual([1]);
    expect(() => hold.release(2)).toThrow('run 2 is not held (held: 1)');
    expect(changes).toBe(3);
  });

  it('once open, lets every held run and every later run through', async () => {
    const hold = new HeldRunsGate();
    const a = hold.gate(1, new AbortController().signal);
    const b = hold.gate(2, undefined);
    hold.open();
    expect(await state(a)).toBe('passed');
    expect(await state(b)).toBe('passed');
    expect(hold.held()).toEqual([]);
    expect(await state(hold.gate(3, undefined))).toBe('passed');
  });

  it('rejects a held run when its sweep is cancelled, with the abort reason, and forgets it', async () => {
    const hold = new HeldRunsGate();
    const cancel = new AbortController();
    const held = hold.gate(1, cancel.signal);
    const other = hold.gate(2, new AbortController().signal);
    cancel.abort(new Error('cancelled'));
    await expect(held).rejects.toThrow('cancelled');
    expect(hold.held()).toEqual([2]);
    expect(await state(other)).toBe('held');
    const late = new AbortController();
    late.abort(new Error('already cancelled'));
    await expect(hold.gate(3, late.signal)).rejects.toThrow('already cancelled');
    expect(hold.held()).toEqual([2]);
  });
});
