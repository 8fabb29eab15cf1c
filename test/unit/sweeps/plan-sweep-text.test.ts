import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../runner/errors.js';
import { planSweep, planSweepText } from '../../../runner/sweeps/sweep-plan.js';

const SHAREGPT = fileURLToPath(
  new URL(
    '../../../data/metron-length-traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv',
    import.meta.url,
  ),
);

/** A spec reading `lengths.csv` relative to its directory. */
const SPEC = [
  'name: text',
  'machine: a100-llama2-7b',
  'requests: 300',
  'seeds: [1, 2]',
  'workloads:',
  '  - { name: chat, lengths: { path: lengths.csv }, arrival: { process: poisson, rate: [1, 2] } }',
  'policies: [{ policy: vllm }, { policy: fcfs }]',
  '',
].join('\n');

const cleanup: string[] = [];
afterAll(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));

function specDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-text-'));
  cleanup.push(dir);
  copyFileSync(SHAREGPT, join(dir, 'lengths.csv'));
  return dir;
}

describe('planSweepText', () => {
  it('plans a text exactly as planSweep plans a file with that text in that directory', () => {
    const dir = specDir();
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, SPEC);
    const fromFile = planSweep(file);
    const fromText = planSweepText(SPEC, { file: 'editor.yaml', dir });
    expect(fromText.specHash).toBe(fromFile.specHash);
    expect(fromText.dir).toBe(dir);
    expect(fromText.runs).toEqual(fromFile.runs);
    expect(fromText.requestLists).toEqual(fromFile.requestLists);
    expect(fromText.spec).toEqual(fromFile.spec);
    expect(fromText.specYaml).toBe(SPEC);
    expect(fromText.file).toBe('editor.yaml');
  });

  it('stores the spec path so that its directory is the spec directory', () => {
    const dir = specDir();
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, SPEC);
    expect(planSweep(file).specPath).toBe(file);
    const cwdRelative = relative(process.cwd(), file);
    expect(planSweep(cwdRelative).specPath).toBe(cwdRelative);
    expect(planSweepText(SPEC, { file: 'editor.yaml', dir }).specPath).toBe(join(dir, 'editor.yaml'));
    expect(planSweepText(SPEC, { file: file, dir }).specPath).toBe(file);
  });

  it('resolves a relative directory against the working directory', () => {
    const dir = specDir();
    const plan = planSweepText(SPEC, { file: 'editor.yaml', dir: relative(process.cwd(), dir) });
    expect(plan.dir).toBe(dir);
    expect(plan.runs).toHaveLength(8);
  });

  it('names the label and the line in its errors, and reads files in `dir`', () => {
    const dir = specDir();
    expect(() => planSweepText('name: [', { file: 'editor.yaml', dir })).toThrow(
      /^editor\.yaml:1: malformed YAML/,
    );
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    let error: unknown;
    try {
      planSweepText(SPEC, { file: 'editor.yaml', dir: elsewhere });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(`${join(elsewhere, 'lengths.csv')}: file not found`);
  });
});
