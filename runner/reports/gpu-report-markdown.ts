import type { ErrorSummary } from '../machines/calibration-fit.js';
import { PROFILE_MACHINE_PREFIX } from '../machines/worker-machine-ref.js';
import type { IterationErrorSummary } from '../metrics/iteration-error.js';
import type { MetricKey } from '../metrics/metric-keys.js';
import { formatNumber } from './format-number.js';
import type { GpuReportData } from './gpu-report-data.js';
import { markdownTable } from './markdown-table.js';
import { dtypeBytes, weightBytes } from './roofline-floors.js';

/**
 * The Markdown report of `schedbench gpu-report`: a pure function of what the command measured
 * (GpuReportData; no I/O, no clock). Sections, in order: title, setup, roofline, decode iteration
 * time vs the memory-bandwidth floor, prefill throughput vs the matrix-multiply rate, calibration,
 * GPU-in-the-loop run vs its simulated twin (with the calibrated model's per-iteration error), and
 * how the report was produced. Tables are laid out as prettier lays them out (markdownTable), so
 * the document passes `prettier --check` unchanged.
 * @returns the document, ending in one newline
 * @throws RangeError when the loaded dtype is not one the worker loads (dtypeBytes)
 */
export function renderGpuReportMarkdown(data: GpuReportData): string {
  const units = reportUnits(data);
  const sections = [
    titleSection(data),
    setupSection(data),
    rooflineSection(data, units),
    decodeSection(data, units),
    prefillSection(data, units),
    calibrationSection(data),
    twinRunSection(data),
    provenanceSection(data),
  ];
  return `${sections.flat().join('\n').trimEnd()}\n`;
}

// ---- number formats ----------------------------------------------------------------------------

/** `x` with 4 significant digits (runner/reports/format-number.ts); `-` for null. */
const num = (x: number | null): string => formatNumber(x);
/** Seconds shown as milliseconds, 4 significant digits. */
const ms = (s: number): string => formatNumber(s * 1000);
/** A percentage with 2 decimals and a ` %` suffix; `-` for null. */
const pct = (x: number | null): string => (x === null ? '-' : `${x.toFixed(2)} %`);
/** Bytes in GiB from 1 GiB up, else in MiB. */
const bytes = (b: number): string => (b >= 2 ** 30 ? `${num(b / 2 ** 30)} GiB` : `${num(b / 2 ** 20)} MiB`);

/** The units the device's rates are shown in: GB/s for copies, TFLOP/s from 1 TFLOP/s up, else GFLOP/s. */
interface ReportUnits {
  /** Measured copy bandwidth, GB/s (10^9 bytes per second). */
  copyGBs: number;
  /** `TFLOP/s` or `GFLOP/s`. */
  flopUnit: string;
  /** A FLOP-per-second rate in flopUnit, 4 significant digits. */
  flops: (flopsPerS: number) => string;
}

/** The units of this report, from the worker's `roofline` reply. */
function reportUnits(data: GpuReportData): ReportUnits {
  const { roofline } = data.device;
  const tera = roofline.matmul_flops_per_s >= 1e12;
  return {
    copyGBs: roofline.copy_bytes_per_s / 1e9,
    flopUnit: tera ? 'TFLOP/s' : 'GFLOP/s',
    flops: (x) => num(x / (tera ? 1e12 : 1e9)),
  };
}

/** A paragraph: its lines, then a blank line. */
const para = (...lines: string[]): string[] => [lines.join('\n'), ''];
/** A heading (`## ...`), then a blank line. */
const heading = (text: string): string[] => [text, ''];

/** A shell word, quoted when it has characters a shell would interpret. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---- sections ----------------------------------------------------------------------------------

/** Title, provenance line, and the CPU warning when the worker had no GPU. */
function titleSection({ settings, device, startedAt }: GpuReportData): string[] {
  const { hello, loaded } = device;
  const gpu = hello.gpu_name ?? `${loaded.device} (no GPU)`;
  return [
    ...para(`# GPU results: ${settings.model} on ${gpu}`),
    ...para(
      `Generated ${startedAt} by \`schedbench gpu-report\`. Weights are **random** ` +
        `(N(0, 0.02), seed 0): iteration time does not depend on weight values, so no checkpoint is needed.`,
    ),
    ...(hello.device !== 'cuda'
      ? para(
          '**No GPU was available**: this report was produced on CPU, so it shows that the script works; ' +
            'its numbers say nothing about a GPU. Run `npm run gpu-report` on a GPU machine for the real one.',
        )
      : []),
  ];
}

/** The device, software, worker machine, model and KV cache. */
function setupSection({ device, machine, startedAt }: GpuReportData): string[] {
  const { hello, loaded } = device;
  return [
    ...heading('## Setup'),
    ...para(
      markdownTable(
        ['', 'value'],
        [
          ['date (UTC)', startedAt],
          ['GPU', hello.gpu_name ?? 'none (CPU)'],
          ['GPU memory', hello.gpu_memory_bytes === null ? '-' : bytes(hello.gpu_memory_bytes)],
          ['device', loaded.device],
          ['torch', hello.torch],
          ['Python', hello.python],
          ['scaled_dot_product_attention', hello.sdpa ? 'yes' : 'no (plain attention maths)'],
          ['worker machine', `${machine.name}: ${machine.description}`],
          ['model', `${loaded.model} (${loaded.weights} weights)`],
          ['dtype', `${loaded.dtype} (${dtypeBytes(loaded.dtype)} bytes)`],
          ['parameters', loaded.parameters.toLocaleString('en-US')],
          ['weight bytes', bytes(weightBytes(loaded))],
          [
            'architecture',
            `${loaded.config.num_hidden_layers} layers, hidden ${loaded.config.hidden_size}, MLP ` +
              `${loaded.config.intermediate_size}, ${loaded.config.num_attention_heads} heads ` +
              `(${loaded.config.num_key_value_heads} KV), vocab ${loaded.config.vocab_size}, context ` +
              `${loaded.config.max_position_embeddings}`,
          ],
          [
            'KV cache',
            `${loaded.kv_blocks} blocks of ${loaded.block_size} tokens ` +
              `(${(loaded.kv_blocks * loaded.block_size).toLocaleString('en-US')} tokens, ` +
              `${num(loaded.kv_block_bytes / loaded.block_size / 1024)} KiB per token)`,
          ],
        ],
        ['left', 'left'],
      ),
    ),
  ];
}

/** The worker's `roofline` reply: copy bandwidth and matrix-multiply rate. */
function rooflineSection({ device }: GpuReportData, units: ReportUnits): string[] {
  const { roofline } = device;
  return [
    ...heading('## Roofline'),
    ...para(
      `Measured by the worker's \`roofline\` message (docs/worker-protocol.md), median of ${roofline.repeats} ` +
        'timed runs after one untimed run.',
    ),
    ...para(
      markdownTable(
        ['measurement', 'size', 'median time (ms)', 'rate'],
        [
          [
            'copy bandwidth (`dst.copy_(src)`, read + write)',
            bytes(roofline.copy_bytes),
            ms(median(roofline.copy_times_s)),
            `${num(units.copyGBs)} GB/s`,
          ],
          [
            `matrix multiply (${roofline.dtype})`,
            `${roofline.matmul_n} x ${roofline.matmul_n}`,
            ms(median(roofline.matmul_times_s)),
            `${units.flops(roofline.matmul_flops_per_s)} ${units.flopUnit}`,
          ],
        ],
      ),
    ),
  ];
}

/** Decode-only batches against the memory-bandwidth floor, with the capped and skipped batches. */
function decodeSection({ settings, device }: GpuReportData, units: ReportUnits): string[] {
  const { loaded } = device;
  const capped = device.decode.filter((d) => d.kvLen < settings.decodeKvLen);
  return [
    ...heading('## Decode iteration time vs the memory-bandwidth floor'),
    ...para(
      'Decode-only batches (`profile` shapes: every request has the KV length shown cached), median of ' +
        `${settings.repeats} timed iterations after ${settings.warmup} untimed. Weight floor = weight bytes ` +
        `(${loaded.parameters.toLocaleString('en-US')} parameters x ${dtypeBytes(loaded.dtype)} bytes) / copy ` +
        `bandwidth (${num(units.copyGBs)} GB/s); floor with KV adds the KV bytes read (kv_block_bytes / ` +
        'block_size x batch x KV length). The parameters include the embedding table, of which a decode reads ' +
        'only one row per request.',
    ),
    ...para(
      markdownTable(
        [
          'batch',
          'KV length',
          'measured (ms)',
          'weight floor (ms)',
          'floor with KV (ms)',
          'measured / floor',
          'tokens/s',
        ],
        device.decode.map((d) => [
          String(d.batch),
          String(d.kvLen),
          ms(d.timeS),
          ms(d.weightFloorS),
          ms(d.floorS),
          num(d.timesFloor),
          num(d.tokensPerS),
        ]),
      ),
    ),
    ...(capped.length > 0
      ? para(
          `KV length below the requested ${settings.decodeKvLen} where the KV cache (${loaded.kv_blocks} blocks) ` +
            `or the context could not hold ${settings.decodeKvLen} tokens for every request: batch ` +
            `${capped.map((d) => d.batch).join(', ')}.`,
        )
      : []),
    ...(device.decodeSkipped.length > 0 ? para(`Not timed: ${device.decodeSkipped.join('; ')}.`) : []),
  ];
}

/** Single-chunk prefills against the matrix-multiply rate, with the skipped chunks. */
function prefillSection({ device }: GpuReportData, units: ReportUnits): string[] {
  return [
    ...heading('## Prefill throughput vs the matrix-multiply rate'),
    ...para(
      'One new request per batch, a single chunk with no cached tokens; median of the timed iterations. ' +
        'Achieved FLOP/s = 2 x parameters x tokens / time: a dense estimate that leaves out attention ' +
        "(quadratic in the chunk) and counts the embedding table and the LM head for every token (the worker's " +
        'LM head runs on the last token only).',
    ),
    ...para(
      markdownTable(
        ['chunk (tokens)', 'measured (ms)', 'tokens/s', `achieved ${units.flopUnit}`, 'of matmul rate'],
        device.prefill.map((p) => [
          String(p.chunk),
          ms(p.timeS),
          num(p.tokensPerS),
          units.flops(p.flopsPerS),
          pct(p.matmulFrac * 100),
        ]),
      ),
    ),
    ...(device.prefillSkipped.length > 0 ? para(`Not timed: ${device.prefillSkipped.join('; ')}.`) : []),
  ];
}

/** The `schedbench profile` calibration: the linear fit, both models' errors, and its printout. */
function calibrationSection({ settings, machine, calibration }: GpuReportData): string[] {
  const { fit } = calibration;
  const errorRow = (model: string, set: string, points: number, e: ErrorSummary): string[] => [
    model,
    set,
    String(points),
    pct(e.meanAbsPct),
    pct(e.maxAbsPct),
    ms(e.rmseS),
  ];
  return [
    ...heading('## Calibration'),
    ...para(
      `\`schedbench profile\` (runner/cli/profile-command.ts), stored as calibration #${calibration.id} ` +
        `and usable in specs as \`machine: ${PROFILE_MACHINE_PREFIX}${machine.name}/${settings.model}\`. The ` +
        "grid's held-out shapes lie between the train shapes and are not used by either fit.",
    ),
    ...para(
      `- linear model (the paper's tau = d0 + d1 x, x = prefill tokens + decode KV tokens, ordinary least ` +
        `squares over ${fit.linear.points} decode-only batches): **d0 = ${ms(fit.linear.d0)} ms**, ` +
        `**d1 = ${num(fit.linear.d1 * 1e6)} µs per KV token**, **R² = ${fit.linear.r2.toFixed(4)}**`,
      `- calibrated profile model (piecewise-linear token-wise term + attention terms, non-negative least ` +
        `squares over ${fit.train.points} batches): held-out error **${pct(fit.heldOut.profile.meanAbsPct)} mean**, ` +
        `${pct(fit.heldOut.profile.maxAbsPct)} max over ${fit.heldOut.points} shapes`,
    ),
    ...para(
      markdownTable(
        ['model', 'set', 'shapes', 'mean abs error', 'max abs error', 'RMSE (ms)'],
        [
          errorRow('linear (d0 + d1 x)', 'train', fit.train.points, fit.train.linear),
          errorRow('linear (d0 + d1 x)', 'held-out', fit.heldOut.points, fit.heldOut.linear),
          errorRow('calibrated profile', 'train', fit.train.points, fit.train.profile),
          errorRow('calibrated profile', 'held-out', fit.heldOut.points, fit.heldOut.profile),
        ],
        ['left', 'left', 'right', 'right', 'right', 'right'],
      ),
    ),
    ...para(
      'The linear model is fitted to decode-only batches, so its errors on prefill and mixed shapes show what ' +
        'the paper approximates.',
    ),
    ...para('What `schedbench profile` printed:', '', '```text', calibration.text.trimEnd(), '```'),
  ];
}

/** The metrics compared side by side, with their labels and formats. */
const TWIN_METRICS: readonly [MetricKey, string, (v: number) => string][] = [
  ['throughput_tok_s', 'throughput (output tok/s)', num],
  ['ttft_mean_s', 'mean TTFT (ms)', ms],
  ['ttft_p99_s', 'p99 TTFT (ms)', ms],
  ['tpot_mean_s', 'mean TPOT (ms)', ms],
  ['e2e_mean_s', 'mean E2E (s)', num],
  ['makespan_s', 'makespan (s)', num],
  ['iterations', 'iterations', num],
  ['batch_size_mean', 'mean batch size', num],
  ['preemptions', 'preemptions (decodes paused)', num],
];

/**
 * The GPU-in-the-loop run beside its simulated twin (gap = (simulated - GPU) / GPU), then the
 * per-iteration error of the calibrated and the linear model on the GPU run's iterations.
 */
function twinRunSection({ settings, machine, calibration, twins }: GpuReportData): string[] {
  const derived = twins.derivedRate;
  return [
    ...heading('## GPU-in-the-loop run vs its simulated twin'),
    ...para(
      `${settings.requests} requests, Poisson arrivals at ${twins.rate} req/s` +
        (derived === undefined
          ? ''
          : ` (${derived.utilisation} x the calibrated model's capacity estimate: prefill of the mean prompt ` +
            `plus the mean output's decodes at 1/${derived.estimateBatch} of a ${derived.estimateBatch}-decode ` +
            'iteration)') +
        `, prompts uniform ${twins.lengths.prompt[0]}-${twins.lengths.prompt[1]} tokens, outputs uniform ` +
        `${twins.lengths.output[0]}-${twins.lengths.output[1]}, policy vllm, seed ${settings.seed}. Both runs ` +
        'get the identical request list; the GPU run executes every batch on the worker and advances its clock ' +
        `by the measured time (run #${twins.gpu.runId}), the twin simulates the same engine on ` +
        `\`${PROFILE_MACHINE_PREFIX}${machine.name}/${settings.model}\` (run #${twins.twin.runId}), with the ` +
        `same KV capacity (${calibration.kvBlocks} blocks). Gap = (simulated - GPU) / GPU.`,
    ),
    ...para(
      "The GPU run's spec (the twin's differs in `name` and `machine` only):",
      '',
      '```yaml',
      twins.gpuSpec.trimEnd(),
      '```',
    ),
    ...para(
      markdownTable(
        ['metric', 'GPU-in-the-loop', 'simulated twin', 'gap'],
        TWIN_METRICS.map(([key, label, show]) => {
          const real = twins.gpu.metrics[key];
          const sim = twins.twin.metrics[key];
          const gap = real === null || sim === null || real === 0 ? null : ((sim - real) / real) * 100;
          return [label, real === null ? '-' : show(real), sim === null ? '-' : show(sim), pct(gap)];
        }),
      ),
    ),
    ...iterationErrorSection(twins.gpu.metrics.iterations, twins.calibratedErrors, twins.linearErrors),
  ];
}

/** The per-iteration errors of both models on the GPU run (a sub-section of the twin run's). */
function iterationErrorSection(
  iterations: number | null,
  calibratedErrors: IterationErrorSummary[],
  linearErrors: IterationErrorSummary[] | string,
): string[] {
  const errorRows = (model: string, rows: IterationErrorSummary[]): string[][] =>
    rows.map((e) => [
      model,
      e.subset,
      String(e.iterations),
      pct(e.meanAbsPct),
      pct(e.medianAbsPct),
      pct(e.p90AbsPct),
      pct(e.totalPct),
    ]);
  return [
    ...heading('### Per-iteration error of the calibrated model'),
    ...para(
      `Each of the ${iterations} iterations the GPU run measured (Store.getIterations), ` +
        'predicted by the calibrated model (and the linear one) from its batch. The store keeps only aggregate ' +
        'columns per iteration (prefill chunks, prefill tokens, decodes, decode KV tokens), so **each prefill is ' +
        'approximated as equal chunks with no cached tokens** (exact for one whole prompt per iteration; vllm ' +
        'prefills whole prompts). Error = |predicted - measured| / measured; total = (sum predicted - sum ' +
        'measured) / sum measured.',
    ),
    ...para(
      markdownTable(
        ['model', 'iterations', 'count', 'mean abs error', 'median abs error', 'p90 abs error', 'total'],
        [
          ...errorRows('calibrated profile', calibratedErrors),
          ...(typeof linearErrors === 'string' ? [] : errorRows('linear (d0 + d1 x)', linearErrors)),
        ],
        ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
      ),
    ),
    ...(typeof linearErrors === 'string' ? para(`Linear model not evaluated: ${linearErrors}.`) : []),
  ];
}

/** The command line, the same steps as separate commands, and every option's value. */
function provenanceSection(data: GpuReportData): string[] {
  const { settings: o, machine, database, calibration, device, twins } = data;
  const p = calibration.options;
  const profileArgs = [
    'schedbench profile',
    machine.name,
    `--model ${shellWord(o.model)}`,
    `--dtype ${p.dtype}`,
    `--kv-blocks ${p.kvBlocks}`,
    `--block-size ${p.blockSize}`,
    ...(p.maxBatchTokens === undefined ? [] : [`--max-batch-tokens ${p.maxBatchTokens}`]),
    ...(p.maxDecodes === undefined ? [] : [`--max-decodes ${p.maxDecodes}`]),
    ...(p.maxKvTokens === undefined ? [] : [`--max-kv-tokens ${p.maxKvTokens}`]),
    `--repeats ${p.repeats}`,
    `--warmup ${p.warmup}`,
  ];
  const orDefault = (v: number | undefined): string => (v === undefined ? 'profile default' : String(v));
  return [
    ...heading('## How this was produced'),
    ...para(
      'Command (from the repository root; `npm run gpu-report` builds first and runs ' +
        '`node bin/schedbench.js gpu-report`):',
      '',
      '```sh',
      ['npm run gpu-report --', ...data.argv.map(shellWord)].join(' ').replace(/ --$/, ''),
      '```',
    ),
    ...para(
      'The steps, as separate commands:',
      '',
      '```sh',
      ...(machine.temporary
        ? [`schedbench machines add ${machine.name} --local --python ${shellWord(o.python)}`]
        : []),
      `# worker messages: hello; roofline {repeats: ${o.repeats}}; load {model: ${o.model}, kv_blocks: ${o.kvBlocks}, ` +
        `block_size: ${o.blockSize}}; profile per decode batch and prefill chunk {repeats: ${o.repeats}, warmup: ${o.warmup}}`,
      profileArgs.join(' '),
      'schedbench sweep gpu-in-the-loop.yaml   # the spec above',
      'schedbench sweep simulated-twin.yaml    # machine: profile:...',
      '```',
    ),
    ...para(
      markdownTable(
        ['option', 'value'],
        [
          ['--model', o.model],
          ['--dtype', `${o.dtype ?? 'default'} (used: ${device.loaded.dtype})`],
          ['--machine', machine.temporary ? `(temporary local machine ${machine.name})` : machine.name],
          ['--python', machine.temporary ? o.python : '(the machine’s own)'],
          ['--db', database.temporary ? '(temporary file, deleted afterwards)' : database.file],
          ['--kv-blocks', `${o.kvBlocks} (allocated: ${device.loaded.kv_blocks})`],
          ['--block-size', String(o.blockSize)],
          ['--decode-batches', o.decodeBatches.join(',')],
          ['--decode-kv-len', String(o.decodeKvLen)],
          ['--prefill-chunks', o.prefillChunks.join(',')],
          ['--requests', String(o.requests)],
          ['--rate', o.rate === undefined ? `derived: ${twins.rate}` : String(o.rate)],
          ['--seed', String(o.seed)],
          ['--max-batch-tokens', orDefault(o.maxBatchTokens)],
          ['--max-decodes', orDefault(o.maxDecodes)],
          ['--max-kv-tokens', orDefault(o.maxKvTokens)],
          ['--repeats', String(o.repeats)],
          ['--warmup', String(o.warmup)],
          ['--timeout-s', String(o.timeoutS)],
        ],
        ['left', 'left'],
      ),
    ),
  ];
}
