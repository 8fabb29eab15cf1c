import { readFileSync } from 'node:fs';
import { format } from 'prettier';
import { describe, expect, it } from 'vitest';
import type { GpuReportData } from '../../../runner/reports/gpu-report-data.js';
import { renderGpuReportMarkdown } from '../../../runner/reports/gpu-report-markdown.js';

/**
 * The pure renderer of `schedbench gpu-report`, from a measurement captured on CPU with tiny-llama
 * (test/fixtures/gpu-report-cpu-tiny-llama.json: the options of test/worker/gpu-report.test.ts, 96 KV
 * blocks, so batch 128 and the 4,096-token chunk do not fit), and from variants of it that take the
 * other branches (a CUDA device, a given --rate, a linear model that could not be evaluated, a
 * registered machine and database).
 */
const FIXTURE: GpuReportData = JSON.parse(
  readFileSync(new URL('../../fixtures/gpu-report-cpu-tiny-llama.json', import.meta.url), 'utf8'),
) as GpuReportData;

/** A deep copy of the fixture, changed by `edit`. */
function variant(edit: (d: GpuReportData) => void): GpuReportData {
  const d = structuredClone(FIXTURE);
  edit(d);
  return d;
}

/** Level of a Markdown heading line (`## x` = 2); 0 for any other line. */
const headingLevel = (line: string): number => /^(#+) /.exec(line)?.[1].length ?? 0;

/**
 * The lines after heading `heading` up to the next heading of the same or a higher level (a `#`
 * line inside a fenced code block is not a heading).
 */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const level = headingLevel(heading);
  let fenced = false;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i].startsWith('```')) fenced = !fenced;
    const l = fenced ? 0 : headingLevel(lines[i]);
    if (l > 0 && l <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start + 1, end);
}

/** The cells of the first table after heading `heading`: [header, ...rows] (the rule dropped). */
function tableAfter(markdown: string, heading: string): string[][] {
  const lines = section(markdown, heading);
  const first = lines.findIndex((l) => l.startsWith('|'));
  expect(first, `a table after ${heading}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (let i = first; i < lines.length && lines[i].startsWith('|'); i++) {
    rows.push(
      lines[i]
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return [rows[0], ...rows.slice(2)];
}

/** The rows of a two-column table as a record keyed by the first column. */
const keyed = (table: string[][]): Record<string, string> =>
  Object.fromEntries(table.slice(1).map(([k, v]) => [k, v]));

const report = renderGpuReportMarkdown(FIXTURE);

describe('renderGpuReportMarkdown on a CPU measurement', () => {
  it('titles the report and warns that it was made without a GPU', () => {
    const lines = report.split('\n');
    expect(lines[0]).toBe('# GPU results: tiny-llama on cpu (no GPU)');
    expect(lines[2]).toBe(
      `Generated ${FIXTURE.startedAt} by \`schedbench gpu-report\`. Weights are **random** (N(0, 0.02), seed 0): ` +
        'iteration time does not depend on weight values, so no checkpoint is needed.',
    );
    expect(report).toContain('**No GPU was available**: this report was produced on CPU');
    expect(report.endsWith('|\n')).toBe(true);
    expect(report.endsWith('\n\n')).toBe(false);
  });

  it('lists the sections in order', () => {
    expect(report.split('\n').filter((l) => headingLevel(l) > 0 && !l.startsWith('# worker'))).toEqual([
      '# GPU results: tiny-llama on cpu (no GPU)',
      '## Setup',
      '## Roofline',
      '## Decode iteration time vs the memory-bandwidth floor',
      '## Prefill throughput vs the matrix-multiply rate',
      '## Calibration',
      '## GPU-in-the-loop run vs its simulated twin',
      '### Per-iteration error of the calibrated model',
      '## How this was produced',
    ]);
  });

  it('states the setup: device, software, model size and KV cache', () => {
    const setup = keyed(tableAfter(report, '## Setup'));
    expect(setup).toMatchObject({
      'date (UTC)': FIXTURE.startedAt,
      GPU: 'none (CPU)',
      'GPU memory': '-',
      device: 'cpu',
      torch: '1.13.0a0',
      Python: '3.11.2',
      scaled_dot_product_attention: 'no (plain attention maths)',
      'worker machine': 'gpu-report-local: local (/usr/bin/python3)',
      model: 'tiny-llama (random weights)',
      dtype: 'float32 (4 bytes)',
      parameters: '619,136',
      // 619,136 parameters x 4 bytes = 2,476,544 bytes = 2.362 MiB.
      'weight bytes': '2.362 MiB',
      architecture: '2 layers, hidden 128, MLP 344, 4 heads (2 KV), vocab 1000, context 2048',
      // 16,384 bytes per 16-token block = 1 KiB per token.
      'KV cache': '96 blocks of 16 tokens (1,536 tokens, 1 KiB per token)',
    });
  });

  it('shows the roofline: median times, copy bandwidth in GB/s, matrix multiply in GFLOP/s below 1 TFLOP/s', () => {
    const [header, copy, matmul] = tableAfter(report, '## Roofline');
    expect(header).toEqual(['measurement', 'size', 'median time (ms)', 'rate']);
    // 64 MiB copied; median of two times = their mean (22.06 and 19.24 ms).
    expect(copy).toEqual([
      'copy bandwidth (`dst.copy_(src)`, read + write)',
      '64 MiB',
      '20.65',
      '6.500 GB/s',
    ]);
    expect(matmul).toEqual(['matrix multiply (float32)', '512 x 512', '110.9', '2.420 GFLOP/s']);
    expect(report).toContain('median of 2 timed runs after one untimed run.');
  });

  it('puts every decode batch beside its memory-bandwidth floors', () => {
    const [header, ...rows] = tableAfter(report, '## Decode iteration time vs the memory-bandwidth floor');
    expect(header).toEqual([
      'batch',
      'KV length',
      'measured (ms)',
      'weight floor (ms)',
      'floor with KV (ms)',
      'measured / floor',
      'tokens/s',
    ]);
    // Weight floor = 2,476,544 bytes / 6.500 GB/s = 0.3810 ms; batch 1 adds 1 KiB x 512 tokens of KV.
    const weightFloorMs = ((619_136 * 4) / FIXTURE.device.roofline.copy_bytes_per_s) * 1000;
    expect(weightFloorMs.toPrecision(4)).toBe('0.3810');
    expect(rows).toEqual([
      ['1', '512', '7.947', '0.3810', '0.4617', '17.21', '125.8'],
      ['16', '95', '27.61', '0.3810', '0.6204', '44.50', '579.5'],
      ['64', '15', '69.66', '0.3810', '0.5322', '130.9', '918.7'],
    ]);
    const batch1FloorMs = weightFloorMs + ((1024 * 512) / FIXTURE.device.roofline.copy_bytes_per_s) * 1000;
    expect(batch1FloorMs.toPrecision(4)).toBe(rows[0][4]);
    expect(report).toContain(
      'Weight floor = weight bytes (619,136 parameters x 4 bytes) / copy bandwidth (6.500 GB/s);',
    );
    expect(report).toContain(
      'KV length below the requested 512 where the KV cache (96 blocks) or the context could not hold 512 ' +
        'tokens for every request: batch 16, 64.',
    );
    expect(report).toContain('Not timed: batch 128: 96 KV blocks cannot give 128 requests a block each.');
  });

  it('puts every prefill chunk beside the matrix-multiply rate', () => {
    const [header, ...rows] = tableAfter(report, '## Prefill throughput vs the matrix-multiply rate');
    expect(header).toEqual([
      'chunk (tokens)',
      'measured (ms)',
      'tokens/s',
      'achieved GFLOP/s',
      'of matmul rate',
    ]);
    // 2 x 619,136 x 256 FLOP in 82.57 ms = 3.839 GFLOP/s = 158.64 % of 2.420 GFLOP/s.
    expect(rows).toEqual([
      ['256', '82.57', '3100', '3.839', '158.64 %'],
      ['512', '211.6', '2420', '2.996', '123.80 %'],
    ]);
    expect(report).toContain(
      'Not timed: chunk 4096: longer than the context (2048) or the KV cache (1536 tokens).',
    );
  });

  it('reports the calibration: d0, d1, R², both models on train and held-out shapes, and the printout', () => {
    expect(report).toContain(
      '`schedbench profile` (runner/cli/profile-command.ts), stored as calibration #1 and usable in specs as ' +
        '`machine: profile:gpu-report-local/tiny-llama`.',
    );
    expect(report).toContain(
      'ordinary least squares over 13 decode-only batches): **d0 = 4.878 ms**, ' +
        '**d1 = 7.584 µs per KV token**, **R² = 0.1679**',
    );
    expect(report).toContain(
      'non-negative least squares over 24 batches): held-out error **24.06 % mean**, 55.88 % max over 9 shapes',
    );
    const [header, ...rows] = tableAfter(report, '## Calibration');
    expect(header).toEqual(['model', 'set', 'shapes', 'mean abs error', 'max abs error', 'RMSE (ms)']);
    expect(rows).toEqual([
      ['linear (d0 + d1 x)', 'train', '24', '68.81 %', '185.94 %', '40.58'],
      ['linear (d0 + d1 x)', 'held-out', '9', '76.87 %', '102.86 %', '28.51'],
      ['calibrated profile', 'train', '24', '9.57 %', '53.89 %', '1.698'],
      ['calibrated profile', 'held-out', '9', '24.06 %', '55.88 %', '7.875'],
    ]);
    const printout = section(report, '## Calibration').join('\n');
    expect(printout).toContain(
      `What \`schedbench profile\` printed:\n\n\`\`\`text\n${FIXTURE.calibration.text.trimEnd()}\n\`\`\``,
    );
  });

  it('puts the GPU-in-the-loop run beside its twin, with the gap of every metric', () => {
    const [header, ...rows] = tableAfter(report, '## GPU-in-the-loop run vs its simulated twin');
    expect(header).toEqual(['metric', 'GPU-in-the-loop', 'simulated twin', 'gap']);
    expect(rows).toEqual([
      ['throughput (output tok/s)', '291.5', '286.6', '-1.68 %'],
      ['mean TTFT (ms)', '38.75', '27.32', '-29.52 %'],
      ['p99 TTFT (ms)', '100.3', '53.98', '-46.18 %'],
      ['mean TPOT (ms)', '8.457', '5.626', '-33.48 %'],
      ['mean E2E (s)', '0.2822', '0.1983', '-29.73 %'],
      ['makespan (s)', '1.732', '1.762', '1.71 %'],
      ['iterations', '262', '275', '4.96 %'],
      ['mean batch size', '1.927', '1.836', '-4.73 %'],
      ['preemptions (decodes paused)', '21', '21', '0.00 %'],
    ]);
    // Gap = (simulated - GPU) / GPU.
    const { gpu, twin } = FIXTURE.twins;
    const gap =
      ((twin.metrics.throughput_tok_s! - gpu.metrics.throughput_tok_s!) / gpu.metrics.throughput_tok_s!) *
      100;
    expect(`${gap.toFixed(2)} %`).toBe(rows[0][3]);
    expect(report).toContain(
      "16 requests, Poisson arrivals at 9.63 req/s (0.6 x the calibrated model's capacity estimate: prefill of " +
        "the mean prompt plus the mean output's decodes at 1/16 of a 16-decode iteration), prompts uniform " +
        '16-128 tokens, outputs uniform 8-48, policy vllm, seed 1.',
    );
    expect(report).toContain(
      '(run #1), the twin simulates the same engine on `profile:gpu-report-local/tiny-llama` (run #2), with the ' +
        'same KV capacity (96 blocks).',
    );
    expect(report).toContain(`\`\`\`yaml\n${FIXTURE.twins.gpuSpec.trimEnd()}\n\`\`\``);
    expect(report).not.toContain('gpu-report-simulated-twin');
  });

  it('reports the per-iteration error of the calibrated and the linear model', () => {
    const [header, ...rows] = tableAfter(report, '### Per-iteration error of the calibrated model');
    expect(header).toEqual([
      'model',
      'iterations',
      'count',
      'mean abs error',
      'median abs error',
      'p90 abs error',
      'total',
    ]);
    expect(rows).toEqual([
      ['calibrated profile', 'all', '262', '70.10 %', '70.31 %', '114.91 %', '-5.96 %'],
      ['calibrated profile', 'decode-only', '246', '72.35 %', '73.46 %', '115.73 %', '6.13 %'],
      ['calibrated profile', 'with prefill', '16', '35.40 %', '32.34 %', '56.05 %', '-28.04 %'],
      ['linear (d0 + d1 x)', 'all', '262', '123.11 %', '144.14 %', '205.36 %', '10.75 %'],
      ['linear (d0 + d1 x)', 'decode-only', '246', '125.92 %', '151.64 %', '206.53 %', '62.15 %'],
      ['linear (d0 + d1 x)', 'with prefill', '16', '79.99 %', '81.69 %', '88.39 %', '-83.15 %'],
    ]);
    expect(report).toContain('Each of the 262 iterations the GPU run measured (Store.getIterations)');
    expect(report).not.toContain('Linear model not evaluated');
  });

  it('says how it was produced: the command, the steps and every option', () => {
    expect(report).toContain(
      '```sh\nnpm run gpu-report -- --model tiny-llama --out gpu-results.md --kv-blocks 96 --prefill-chunks ' +
        '256,512,4096 --requests 16 --max-batch-tokens 256 --max-decodes 16 --max-kv-tokens 256 --repeats 2 ' +
        '--warmup 1\n```',
    );
    expect(report).toContain(
      'schedbench machines add gpu-report-local --local --python /usr/bin/python3\n' +
        '# worker messages: hello; roofline {repeats: 2}; load {model: tiny-llama, kv_blocks: 96, block_size: 16}; ' +
        'profile per decode batch and prefill chunk {repeats: 2, warmup: 1}\n' +
        'schedbench profile gpu-report-local --model tiny-llama --dtype float32 --kv-blocks 96 --block-size 16 ' +
        '--max-batch-tokens 256 --max-decodes 16 --max-kv-tokens 256 --repeats 2 --warmup 1\n',
    );
    const options = tableAfter(report, '## How this was produced');
    expect(options[0]).toEqual(['option', 'value']);
    expect(keyed(options)).toEqual({
      '--model': 'tiny-llama',
      '--dtype': 'default (used: float32)',
      '--machine': '(temporary local machine gpu-report-local)',
      '--python': '/usr/bin/python3',
      '--db': '(temporary file, deleted afterwards)',
      '--kv-blocks': '96 (allocated: 96)',
      '--block-size': '16',
      '--decode-batches': '1,16,64,128',
      '--decode-kv-len': '512',
      '--prefill-chunks': '256,512,4096',
      '--requests': '16',
      '--rate': 'derived: 9.63',
      '--seed': '1',
      '--max-batch-tokens': '256',
      '--max-decodes': '16',
      '--max-kv-tokens': '256',
      '--repeats': '2',
      '--warmup': '1',
      '--timeout-s': '600',
    });
  });

  it('is laid out as prettier lays it out', async () => {
    expect(await format(report, { parser: 'markdown', singleQuote: true, printWidth: 110 })).toBe(report);
  });

  it('is a pure function of its input', () => {
    expect(renderGpuReportMarkdown(structuredClone(FIXTURE))).toBe(report);
  });
});

describe('renderGpuReportMarkdown branches', () => {
  it('on a GPU: no warning, the GPU in the title, memory in GiB, FLOP/s in TFLOP/s', () => {
    const gpu = renderGpuReportMarkdown(
      variant((d) => {
        d.device.hello.device = 'cuda';
        d.device.hello.gpu_name = 'NVIDIA H100 80GB HBM3';
        d.device.hello.gpu_memory_bytes = 85_520_809_984;
        d.device.loaded.device = 'cuda';
        d.device.roofline.matmul_flops_per_s = 7.512e14;
        d.device.prefill[0].flopsPerS = 3.105e14;
      }),
    );
    expect(gpu.split('\n')[0]).toBe('# GPU results: tiny-llama on NVIDIA H100 80GB HBM3');
    expect(gpu).not.toContain('No GPU was available');
    const setup = keyed(tableAfter(gpu, '## Setup'));
    expect(setup.GPU).toBe('NVIDIA H100 80GB HBM3');
    expect(setup['GPU memory']).toBe('79.65 GiB');
    expect(tableAfter(gpu, '## Roofline')[2][3]).toBe('751.2 TFLOP/s');
    const prefill = tableAfter(gpu, '## Prefill throughput vs the matrix-multiply rate');
    expect(prefill[0][3]).toBe('achieved TFLOP/s');
    expect(prefill[1][3]).toBe('310.5');
  });

  it('with --rate: the given rate, no derivation', () => {
    const given = renderGpuReportMarkdown(
      variant((d) => {
        d.settings.rate = 2.5;
        d.twins.rate = 2.5;
        delete d.twins.derivedRate;
      }),
    );
    expect(given).toContain('16 requests, Poisson arrivals at 2.5 req/s, prompts uniform 16-128 tokens,');
    expect(given).not.toContain('capacity estimate');
    expect(keyed(tableAfter(given, '## How this was produced'))['--rate']).toBe('2.5');
  });

  it('when the linear model could not be evaluated: the calibrated rows only, and why', () => {
    const noLinear = renderGpuReportMarkdown(
      variant((d) => {
        d.twins.linearErrors = 'd1 must be positive, got -1e-7';
      }),
    );
    const rows = tableAfter(noLinear, '### Per-iteration error of the calibrated model').slice(1);
    expect(rows.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'calibrated profile all',
      'calibrated profile decode-only',
      'calibrated profile with prefill',
    ]);
    expect(noLinear).toContain('Linear model not evaluated: d1 must be positive, got -1e-7.');
  });

  it('with an empty subset: dashes for its errors', () => {
    const empty = renderGpuReportMarkdown(
      variant((d) => {
        d.twins.calibratedErrors[2] = {
          subset: 'with prefill',
          iterations: 0,
          meanAbsPct: null,
          medianAbsPct: null,
          p90AbsPct: null,
          totalPct: null,
        };
      }),
    );
    expect(tableAfter(empty, '### Per-iteration error of the calibrated model')[3]).toEqual([
      'calibrated profile',
      'with prefill',
      '0',
      '-',
      '-',
      '-',
      '-',
    ]);
  });

  it('with a registered machine, a database file and quoted arguments', () => {
    const registered = renderGpuReportMarkdown(
      variant((d) => {
        d.machine = {
          name: 'h100',
          description: 'ssh bench@gpu1:22 (/opt/venv/bin/python)',
          temporary: false,
        };
        d.database = { file: '/data/schedbench.db', temporary: false };
        d.argv = ['--machine', 'h100', '--model', "/models/llama 2's"];
        d.settings.dtype = 'float16';
        d.settings.maxBatchTokens = undefined;
        d.calibration.options.maxBatchTokens = undefined;
      }),
    );
    expect(registered).not.toContain('schedbench machines add');
    expect(registered).toContain(`npm run gpu-report -- --machine h100 --model '/models/llama 2'\\''s'\n`);
    expect(registered).toContain(
      'schedbench profile h100 --model tiny-llama --dtype float32 --kv-blocks 96 --block-size 16 ' +
        '--max-decodes 16',
    );
    expect(keyed(tableAfter(registered, '## Setup'))['worker machine']).toBe(
      'h100: ssh bench@gpu1:22 (/opt/venv/bin/python)',
    );
    expect(keyed(tableAfter(registered, '## How this was produced'))).toMatchObject({
      '--machine': 'h100',
      '--python': '(the machine’s own)',
      '--db': '/data/schedbench.db',
      '--dtype': 'float16 (used: float32)',
      '--max-batch-tokens': 'profile default',
    });
    expect(registered).toContain('usable in specs as `machine: profile:h100/tiny-llama`');
  });
});
