import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSweep } from '../../runner/sweeps/sweep-plan.js';

/**
 * Sweep spec files of one test file, each in a temporary folder of its own (a database beside it
 * stays with it): `write` makes one, `folder` is the last one's folder, `removeAll` (afterAll)
 * deletes every folder.
 */
export class TempSpecFiles {
  private readonly folders: string[] = [];

  /** @param prefix the folders' name prefix, e.g. `schedbench-cluster-` */
  constructor(private readonly prefix: string) {}

  /** Writes `lines` (joined, with a final newline) as `spec.yaml` in a new folder; returns its path. */
  write(lines: readonly string[]): string {
    const folder = mkdtempSync(join(tmpdir(), this.prefix));
    this.folders.push(folder);
    const file = join(folder, 'spec.yaml');
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  /** The folder of the last spec written. */
  get folder(): string {
    const last = this.folders.at(-1);
    if (last === undefined) throw new Error('no spec written yet');
    return last;
  }

  /** Deletes every folder written. */
  removeAll(): void {
    for (const folder of this.folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  }

  /**
   * The run key of a one-run sweep with this policy entry (a YAML flow mapping, e.g.
   * `{policy: vllm}`): a typed mix of 10 requests on a linear machine. Run keys of such sweeps
   * computed by earlier builds pin that a new policy field leaves old keys alone.
   */
  runKeyOf(policy: string): string {
    return planSweep(
      this.write([
        'name: keys',
        'machine: {model: linear, d0: 0.01, d1: 2.0e-7, kvCapacityTokens: 20000, blockSize: 16}',
        'requests: 10',
        'workloads: [{name: two-types, types: [{prompt: 20, output: 100, rate: 6}, {prompt: 20, output: 200, rate: 4}]}]',
        `policies: [${policy}]`,
      ]),
    ).runs[0].runKey;
  }
}
