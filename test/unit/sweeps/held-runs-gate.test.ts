import { describe, expect, it } from 'vitest';
import { HeldRunsGate } from '../../../runner/sweeps/held-runs-gate.js';

/** Settles to 'held' while the promise is pending (after everything already queued has run). */
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
  it('holds runs until release, then lets them and every later run through', async () => {
    const hold = new HeldRunsGate();
    const a = hold.gate(1, new AbortController().signal);
    const b = hold.gate(2, undefined);
    expect(await state(a)).toBe('held');
    expect(await state(b)).toBe('held');
    expect(hold.size).toBe(2);
    hold.release();
    expect(await state(a)).toBe('passed');
    expect(await state(b)).toBe('passed');
    expect(hold.size).toBe(0);
    expect(await state(hold.gate(3, undefined))).toBe('passed');
  });

  it('rejects a held run when its sweep is cancelled, with the abort reason, and forgets it', async () => {
    const hold = new HeldRunsGate();
    const cancel = new AbortController();
    const held = hold.gate(1, cancel.signal);
    const other = hold.gate(2, new AbortController().signal);
    cancel.abort(new Error('cancelled'));
    await expect(held).rejects.toThrow('cancelled');
    expect(hold.size).toBe(1);
    expect(await state(other)).toBe('held');
    const late = new AbortController();
    late.abort(new Error('already cancelled'));
    await expect(hold.gate(3, late.signal)).rejects.toThrow('already cancelled');
    expect(hold.size).toBe(1);
  });
});
