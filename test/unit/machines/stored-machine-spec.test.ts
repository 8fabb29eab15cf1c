import { describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { BUILT_IN_MACHINES } from '../../../runner/machines/built-in-machines.js';
import {
  decodeStoredMachineSpec,
  storedMachineDocument,
  storedMachineName,
} from '../../../runner/machines/stored-machine-spec.js';
import { stableJson } from '../../../runner/stable-json.js';

/** The machine document stored with a sweep, read back by reports, Compare and the API. */
const machine = BUILT_IN_MACHINES['a100-llama2-7b-linear']();
/** As executeSweep (runner/sweeps/sweep-executor.ts) stores it. */
const STORED = stableJson({
  name: machine.name,
  description: machine.description,
  ref: 'a100-llama2-7b-linear',
  kvCapacityBlocks: machine.kvCapacityBlocks,
  blockSize: machine.blockSize,
  iterationTime: machine.iterationTime.describe(),
  linear: machine.linear,
  tokenModel: 'vllm',
});

/** A GPU worker machine without calibration: its NaN linear model is stored as null. */
const WORKER = stableJson({
  name: 'gpu1/tiny-llama',
  description: 'tiny-llama on GPU worker gpu1',
  ref: { worker: 'gpu1', model: 'tiny-llama', kvBlocks: 64, blockSize: 16, clock: 'virtual' },
  kvCapacityBlocks: 64,
  blockSize: 16,
  iterationTime: { model: 'measured on the worker (no calibration)' },
  linear: { d0: NaN, d1: NaN, exact: false },
  tokenModel: 'vllm',
  worker: { machine: 'gpu1', model: 'tiny-llama', kvBlocks: 64, reachedBy: 'this host' },
});

function errorOf(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('decodeStoredMachineSpec', () => {
  it('reads a document as executeSweep stores it', () => {
    const spec = decodeStoredMachineSpec(STORED, 'sweep 1');
    expect(spec).toMatchObject({
      name: 'a100-llama2-7b-linear',
      kvCapacityBlocks: 7424,
      blockSize: 16,
      iterationTime: { model: 'linear', d0: machine.linear.d0, d1: machine.linear.d1 },
      linear: { d0: machine.linear.d0, d1: machine.linear.d1, exact: true },
      tokenModel: 'vllm',
    });
  });

  it("reads an uncalibrated worker machine's null linear model, and a document from before the fluid benchmark", () => {
    expect(decodeStoredMachineSpec(WORKER, 'sweep 2').linear).toEqual({ d0: null, d1: null, exact: false });
    const old = decodeStoredMachineSpec(
      JSON.stringify({
        name: 'sim',
        description: 'old',
        kvCapacityBlocks: 10,
        blockSize: 16,
        iterationTime: {},
      }),
      'sweep 3',
    );
    expect(old.linear).toBeUndefined();
    expect(old.tokenModel).toBeUndefined();
  });

  it('names the sweep and every invalid field', () => {
    const e = errorOf(() => decodeStoredMachineSpec(JSON.stringify({ kind: 'sim' }), 'sweep 7'));
    expect(e.message).toMatch(/^sweep 7: its stored machine JSON is not a machine description: /);
    for (const field of ['name', 'description', 'kvCapacityBlocks', 'blockSize', 'iterationTime']) {
      expect(e.message).toContain(`${field}: `);
    }
    const wrongType = JSON.parse(STORED) as Record<string, unknown>;
    wrongType.kvCapacityBlocks = '7424';
    (wrongType.linear as Record<string, unknown>).exact = 'yes';
    const e2 = errorOf(() => decodeStoredMachineSpec(JSON.stringify(wrongType), 'sweep 8'));
    expect(e2.message).toContain('kvCapacityBlocks: ');
    expect(e2.message).toContain('linear.exact: ');
    expect(errorOf(() => decodeStoredMachineSpec('[1, 2]', 'sweep 9')).message).toMatch(/^sweep 9: /);
    expect(errorOf(() => decodeStoredMachineSpec('null', 'sweep 9')).message).toMatch(/^sweep 9: /);
  });

  it('says when the text is not JSON', () => {
    expect(errorOf(() => decodeStoredMachineSpec('{"name": ', 'sweep 4')).message).toMatch(
      /^sweep 4: its stored machine JSON is not JSON \(/,
    );
  });
});

describe('storedMachineDocument', () => {
  it('gives every stored field in stored order, once validated', () => {
    expect(JSON.stringify(storedMachineDocument(STORED, 'sweep 1'))).toBe(STORED);
    expect(JSON.stringify(storedMachineDocument(WORKER, 'sweep 2'))).toBe(WORKER);
    expect(() => storedMachineDocument('{}', 'sweep 5')).toThrow(/^sweep 5: /);
  });
});

describe('storedMachineName', () => {
  it("gives the document's name, or ? when the document has none or is not JSON, never throwing", () => {
    expect(storedMachineName(JSON.stringify({ name: 'sim', kvCapacityBlocks: '7' }))).toBe('sim');
    expect(storedMachineName(JSON.stringify({ name: 7 }))).toBe('?');
    expect(storedMachineName('[1, 2]')).toBe('?');
    expect(storedMachineName('{"name": ')).toBe('?');
  });
});
