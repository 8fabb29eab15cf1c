import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordingRegistry, registryOf } from '../../../runner/machines/registry-snapshot.js';
import { resolveMachine } from '../../../runner/machines/resolve-machine.js';
import type { CalibrationRow } from '../../../runner/store/calibration-row.js';
import { Store } from '../../../runner/store/store.js';

// A Slurm array task plans `profile:` and GPU worker machines from the snapshot of what the
// driver's plan looked up in the database (runner/machines/registry-snapshot.ts).

const dir = mkdtempSync(join(tmpdir(), 'schedbench-registry-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function calibration(id: number, createdAt: string, dtype = 'float32'): CalibrationRow {
  return {
    id,
    createdAt,
    machine: 'gpu1',
    model: 'tiny-llama',
    dtype,
    device: 'cpu',
    gpuName: null,
    gpuMemoryBytes: null,
    torch: '1.13',
    python: '3.11',
    kvBlocks: 100 + id,
    blockSize: 16,
    fit: {},
  };
}

describe('registry snapshots', () => {
  it('records the worker machines a plan looks up, and answers the same from the snapshot', () => {
    const store = Store.open(join(dir, 'r.db'));
    try {
      store.addWorkerMachine({ name: 'cpu', kind: 'local' });
      store.addWorkerMachine({ name: 'unused', kind: 'local' });
      const ref = {
        worker: 'cpu',
        model: 'tiny-llama',
        kvBlocks: 64,
        blockSize: 16,
        clock: 'virtual',
        stepTimeoutS: 120,
        modelSeed: 0,
      } as const;
      const { value: direct, snapshot } = recordingRegistry(store, (r) => resolveMachine(ref, r));
      expect(snapshot.workers.map((w) => w.name)).toEqual(['cpu']);
      expect(snapshot.calibrations).toEqual([]);
      // Through JSON (the manifest), then planned again without the database.
      const again = resolveMachine(ref, registryOf(JSON.parse(JSON.stringify(snapshot))));
      expect(again.name).toBe(direct.name);
      expect(again.kvCapacityBlocks).toBe(64);
      expect(again.worker?.machine).toEqual(store.getWorkerMachine('cpu'));
      expect(() => resolveMachine({ ...ref, worker: 'unused' }, registryOf(snapshot))).toThrow(
        /unknown worker machine "unused" \(registered: cpu\)/,
      );
    } finally {
      store.close();
    }
  });

  it('answers latestCalibration as the store does: the newest matching row', () => {
    const registry = registryOf({
      workers: [],
      calibrations: [
        calibration(1, '2026-12-01T00:00:00.000Z'),
        calibration(3, '2026-12-03T00:00:00.000Z', 'float16'),
        calibration(2, '2026-12-02T00:00:00.000Z'),
      ],
    });
    expect(registry.latestCalibration('gpu1', 'tiny-llama')?.id).toBe(3);
    expect(registry.latestCalibration('gpu1', 'tiny-llama', 'float32')?.id).toBe(2);
    expect(registry.latestCalibration('gpu1', 'llama-2-7b')).toBeUndefined();
  });
});
