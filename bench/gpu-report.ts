/**
 * `npm run gpu-report` (issue 6, "Done when"): one call that measures a model on a GPU worker and
 * writes a Markdown report (default docs/gpu-results.md):
 *  1. the worker's `hello` (GPU, memory, torch) and `roofline` (copy bandwidth, matrix-multiply
 *     rate; docs/worker-protocol.md);
 *  2. decode iteration time at batch 1, 16, 64 and 128 against the memory-bandwidth floor
 *     (bench/roofline-floors.ts);
 *  3. prefill throughput of single chunks of 512, 1,024 and 2,048 tokens against the measured
 *     matrix-multiply rate;
 *  4. the calibration of `schedbench profile` (runner/cli/profile-command.ts): d0, d1, R^2 and the
 *     held-out errors, stored as the simulated machine profile:NAME/MODEL;
 *  5. one GPU-in-the-loop run of a synthetic workload beside its simulated twin on that machine,
 *     and the calibrated model's error on each iteration the GPU run measured
 *     (bench/iteration-error.ts).
 * Weights are random (iteration time does not depend on their values). Progress lines go to
 * stderr, the report's path to stdout. Without a GPU it runs on CPU: use a small model there
 * (`--model tiny-llama`, as test/e2e/gpu-report.test.ts does). Exit status 1 on any error.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { defaultDatabasePath } from '../runner/cli/default-database.js';
import { positiveInt, nonNegativeInt } from '../runner/cli/parse-options.js';
import { profileCommand, type ProfileCommandOptions } from '../runner/cli/profile-command.js';
import { registeredMachine } from '../runner/cli/worker-machines-command.js';
import { InputError } from '../runner/errors.js';
import {
  calibrationBatchShape,
  CalibratedIterationTimeModel,
  type CalibrationFit,
  type ErrorSummary,
} from '../runner/latency/calibrated-model.js';
import { calibrationFitOf } from '../runner/latency/calibrated-machine.js';
import { LinearIterationTimeModel } from '../runner/latency/linear-model.js';
import { PROFILE_MACHINE_PREFIX } from '../runner/latency/worker-machine-ref.js';
import type { MetricKey, RunMetrics } from '../runner/metrics/metric-keys.js';
import { formatNumber } from '../runner/reports/format-number.js';
import { repositoryPath } from '../runner/repository-path.js';
import type { CalibrationRow } from '../runner/store/calibration-row.js';
import { Store } from '../runner/store/store.js';
import type { WorkerMachine } from '../runner/store/worker-machine-row.js';
import { executeSweep } from '../runner/sweeps/sweep-executor.js';
import { planSweep } from '../runner/sweeps/sweep-plan.js';
import { describeWorkerMachine, startWorker } from '../runner/workers/start-worker.js';
import type { HelloReply, LoadedReply, RooflineReply } from '../runner/workers/worker-protocol.js';
import { iterationErrors, type IterationErrorSummary } from './iteration-error.js';
import { markdownTable } from './markdown-table.js';
import {
  decodeFloorRow,
  decodeKvLenFor,
  dtypeBytes,
  prefillChunkLimit,
  prefillRateRow,
  weightBytes,
  type DecodeFloorRow,
  type PrefillRateRow,
} from './roofline-floors.js';

type Dtype = 'float32' | 'float16' | 'bfloat16';

/** The script's options, parsed. */
interface GpuReportOptions {
  out: string;
  /** Database file; undefined = a temporary one (or the CLI's default with --machine). */
  db: string | undefined;
  machine: string | undefined;
  python: string;
  model: string;
  dtype: Dtype | undefined;
  kvBlocks: number | 'auto';
  blockSize: number;
  decodeBatches: number[];
  decodeKvLen: number;
  prefillChunks: number[];
  requests: number;
  /** Arrival rate of the in-the-loop run, req/s; undefined = derived from the calibration. */
  rate: number | undefined;
  seed: number;
  maxBatchTokens: number | undefined;
  maxDecodes: number | undefined;
  maxKvTokens: number | undefined;
  repeats: number;
  warmup: number;
  timeoutS: number;
}

/** Name of the local machine registered when --machine is not given (removed at the end). */
const TEMPORARY_MACHINE = 'gpu-report-local';
/** Offered load of the in-the-loop run as a fraction of the calibrated model's capacity estimate. */
const TARGET_UTILISATION = 0.6;
/** Decode batch of the capacity estimate behind the default rate. */
const RATE_ESTIMATE_BATCH = 16;

/** Uniform prompt and output lengths of the synthetic workload, tokens. */
interface Lengths {
  prompt: [number, number];
  output: [number, number];
}

/** Lengths sized to the model: Llama-2-7B-scale prompts and outputs; much shorter for tiny-llama. */
function lengthsFor(model: string): Lengths {
  return model === 'tiny-llama'
    ? { prompt: [16, 128], output: [8, 48] }
    : { prompt: [100, 1000], output: [50, 300] };
}

/**
 * Parses the command line (commander; `--help` prints the options and exits).
 * @param argv process.argv
 * @throws InputError naming the option whose value is malformed
 */
function parseOptions(argv: string[]): GpuReportOptions {
  const program = new Command('gpu-report')
    .description(
      'measure a model on a GPU worker (roofline, decode, prefill, calibration, one GPU-in-the-loop run ' +
        'beside its simulated twin) and write a Markdown report',
    )
    .option('--out <file>', 'Markdown report to write (default docs/gpu-results.md)')
    .option(
      '--db <file>',
      "results database (default: a temporary file, deleted at the end; with --machine: the CLI's default database)",
    )
    .option('--machine <name>', 'registered worker machine (default: a temporary local machine)')
    .option('--python <path>', 'Python with PyTorch of the temporary local machine', '/usr/bin/python3')
    .option('--model <model>', 'worker model preset or checkpoint directory', 'llama-2-7b')
    .addOption(
      new Option('--dtype <dtype>', 'weights and KV dtype (default float16 on CUDA, float32 on CPU)').choices(
        ['float32', 'float16', 'bfloat16'],
      ),
    )
    .option(
      '--kv-blocks <n>',
      'KV blocks to allocate, or auto (90% of free GPU memory; 1,024 on CPU)',
      'auto',
    )
    .option('--block-size <n>', 'tokens per KV block', '16')
    .option('--decode-batches <list>', 'decode batch sizes to time, comma-separated', '1,16,64,128')
    .option(
      '--decode-kv-len <n>',
      'cached tokens per decode request (less where the KV cache is short)',
      '512',
    )
    .option(
      '--prefill-chunks <list>',
      'single prefill chunks to time, tokens, comma-separated',
      '512,1024,2048',
    )
    .option('--requests <n>', 'requests of the GPU-in-the-loop run', '200')
    .option(
      '--rate <r>',
      `Poisson arrival rate of that run, req/s (default: ${TARGET_UTILISATION} x the calibrated capacity estimate)`,
    )
    .option('--seed <n>', 'seed of the run (arrivals and lengths)', '1')
    .option('--max-batch-tokens <n>', 'calibration grid: largest batch in tokens (profile default)')
    .option('--max-decodes <n>', 'calibration grid: most decodes in a batch (profile default)')
    .option('--max-kv-tokens <n>', 'calibration grid: longest request in tokens (profile default)')
    .option('--repeats <n>', 'timed iterations per shape and roofline measurement (median used)', '5')
    .option('--warmup <n>', 'untimed iterations per shape', '2')
    .option('--timeout-s <s>', 'seconds to wait for one worker reply', '600');
  program.parse(argv);
  const o = program.opts<Record<string, string | undefined>>();
  const optional = (flag: string, v: string | undefined): number | undefined =>
    v === undefined ? undefined : positiveInt(flag, v);
  const list = (flag: string, v: string): number[] => v.split(',').map((x) => positiveInt(flag, x.trim()));
  let rate: number | undefined;
  if (o.rate !== undefined) {
    rate = Number(o.rate);
    if (!(Number.isFinite(rate) && rate > 0)) {
      throw new InputError(`--rate must be a positive number of requests per second, got "${o.rate}"`);
    }
  }
  return {
    out: resolve(o.out ?? repositoryPath('docs', 'gpu-results.md')),
    db: o.db === undefined ? undefined : resolve(o.db),
    machine: o.machine,
    python: o.python!,
    model: o.model!,
    dtype: o.dtype as Dtype | undefined,
    kvBlocks: o.kvBlocks === 'auto' ? 'auto' : positiveInt('--kv-blocks', o.kvBlocks!),
    blockSize: positiveInt('--block-size', o.blockSize!),
    decodeBatches: list('--decode-batches', o.decodeBatches!),
    decodeKvLen: positiveInt('--decode-kv-len', o.decodeKvLen!),
    prefillChunks: list('--prefill-chunks', o.prefillChunks!),
    requests: positiveInt('--requests', o.requests!),
    rate,
    seed: nonNegativeInt('--seed', o.seed!),
    maxBatchTokens: optional('--max-batch-tokens', o.maxBatchTokens),
    maxDecodes: optional('--max-decodes', o.maxDecodes),
    maxKvTokens: optional('--max-kv-tokens', o.maxKvTokens),
    repeats: positiveInt('--repeats', o.repeats!),
    warmup: nonNegativeInt('--warmup', o.warmup!),
    timeoutS: positiveInt('--timeout-s', o.timeoutS!),
  };
}

// ---- 1-3: device, decode and prefill ----------------------------------------------------------

/** What the script measured directly on the worker. */
interface DeviceMeasurements {
  hello: HelloReply;
  roofline: RooflineReply;
  loaded: LoadedReply;
  decode: DecodeFloorRow[];
  /** Decode batches requested but not timed, with why. */
  decodeSkipped: string[];
  prefill: PrefillRateRow[];
  prefillSkipped: string[];
}

/**
 * Steps 1-3 on one worker process: hello, roofline, load, then one `profile` message per decode
 * batch and per prefill chunk (median of --repeats after --warmup). The worker is stopped before
 * returning, so the calibration's worker can take the GPU memory.
 * @throws WorkerError when the worker cannot start, load or time a shape
 */
async function measureDevice(
  machine: WorkerMachine,
  o: GpuReportOptions,
  progress: (line: string) => void,
): Promise<DeviceMeasurements> {
  const timeoutMs = o.timeoutS * 1000;
  progress(`starting the worker of ${machine.name} (${describeWorkerMachine(machine)})`);
  const client = await startWorker(machine, { timeoutMs });
  try {
    const hello = client.info!;
    progress(
      `hello: ${hello.gpu_name ?? 'no GPU'} (${hello.device}), torch ${hello.torch}, Python ${hello.python}`,
    );
    const roofline = await client.request(
      { type: 'roofline', repeats: o.repeats, ...(o.dtype === undefined ? {} : { dtype: o.dtype }) },
      { timeoutMs },
    );
    progress(
      `roofline: copy ${formatNumber(roofline.copy_bytes_per_s / 1e9)} GB/s, ` +
        `matmul ${formatNumber(roofline.matmul_flops_per_s / 1e12)} TFLOP/s (${roofline.dtype})`,
    );
    progress(`loading ${o.model} (random weights)`);
    const loaded = await client.request(
      {
        type: 'load',
        model: o.model,
        kv_blocks: o.kvBlocks,
        block_size: o.blockSize,
        ...(o.dtype === undefined ? {} : { dtype: o.dtype }),
      },
      { timeoutMs },
    );
    const time = async (shape: {
      prefill: number[];
      decodes: number;
      decode_kv_len: number;
    }): Promise<number> => {
      const reply = await client.request(
        { type: 'profile', shapes: [shape], repeats: o.repeats, warmup: o.warmup },
        { timeoutMs },
      );
      return reply.results[0].median_s;
    };

    const decode: DecodeFloorRow[] = [];
    const decodeSkipped: string[] = [];
    for (const batch of o.decodeBatches) {
      const kvLen = decodeKvLenFor(batch, o.decodeKvLen, loaded);
      if (kvLen < 1) {
        decodeSkipped.push(
          `batch ${batch}: ${loaded.kv_blocks} KV blocks cannot give ${batch} requests a block each`,
        );
        continue;
      }
      const timeS = await time({ prefill: [], decodes: batch, decode_kv_len: kvLen });
      decode.push(decodeFloorRow(batch, kvLen, timeS, loaded, roofline.copy_bytes_per_s));
      progress(`decode batch ${batch} at kv ${kvLen}: ${formatNumber(timeS * 1000)} ms`);
    }

    const prefill: PrefillRateRow[] = [];
    const prefillSkipped: string[] = [];
    const limit = prefillChunkLimit(loaded);
    for (const chunk of o.prefillChunks) {
      if (chunk > limit) {
        prefillSkipped.push(
          `chunk ${chunk}: longer than the context (${loaded.config.max_position_embeddings}) or the KV cache ` +
            `(${loaded.kv_blocks * loaded.block_size} tokens)`,
        );
        continue;
      }
      const timeS = await time({ prefill: [chunk], decodes: 0, decode_kv_len: 0 });
      prefill.push(prefillRateRow(chunk, timeS, loaded.parameters, roofline.matmul_flops_per_s));
      progress(`prefill ${chunk}: ${formatNumber(timeS * 1000)} ms`);
    }
    return { hello, roofline, loaded, decode, decodeSkipped, prefill, prefillSkipped };
  } finally {
    // The calibration starts its own worker: this one must release the GPU first.
    await client.close();
  }
}

// ---- 4: calibration --------------------------------------------------------------------------

interface Calibration {
  options: ProfileCommandOptions;
  /** What `schedbench profile` prints. */
  text: string;
  row: CalibrationRow;
  fit: CalibrationFit;
}

/**
 * Step 4: `schedbench profile` on the machine (its own worker process), stored in the database.
 * @param dtype the dtype the model was loaded in (the calibration is looked up by it)
 * @throws WorkerError as profileCommand
 */
async function calibrate(
  store: Store,
  machine: WorkerMachine,
  o: GpuReportOptions,
  dtype: Dtype,
  progress: (line: string) => void,
): Promise<Calibration> {
  const options: ProfileCommandOptions = {
    model: o.model,
    dtype,
    kvBlocks: o.kvBlocks,
    blockSize: o.blockSize,
    ...(o.maxBatchTokens === undefined ? {} : { maxBatchTokens: o.maxBatchTokens }),
    ...(o.maxDecodes === undefined ? {} : { maxDecodes: o.maxDecodes }),
    ...(o.maxKvTokens === undefined ? {} : { maxKvTokens: o.maxKvTokens }),
    repeats: o.repeats,
    warmup: o.warmup,
    timeoutS: o.timeoutS,
  };
  progress(`calibrating (schedbench profile ${machine.name} --model ${o.model})`);
  const text = await profileCommand(store, machine.name, options, progress);
  const row = store.latestCalibration(machine.name, o.model, dtype)!;
  return { options, text, row, fit: calibrationFitOf(row) };
}

// ---- 5: GPU-in-the-loop run and its simulated twin ------------------------------------------

interface LoopComparison {
  lengths: Lengths;
  rate: number;
  /** The spec of the GPU-in-the-loop run; the twin's differs only in `name` and `machine`. */
  gpuSpec: string;
  twinSpec: string;
  gpu: { runId: number; metrics: RunMetrics };
  twin: { runId: number; metrics: RunMetrics };
  /** Per-iteration errors of the calibrated model, and of the linear one when it is valid. */
  calibratedErrors: IterationErrorSummary[];
  linearErrors: IterationErrorSummary[] | string;
}

/**
 * The default arrival rate: TARGET_UTILISATION over the calibrated model's estimate of one
 * request's GPU time (prefill of the mean prompt + the mean output's decodes at 1/16 of a
 * 16-decode iteration at the mean KV length), rounded to 3 significant digits, req/s.
 */
function defaultRate(fit: CalibrationFit, lengths: Lengths): number {
  const model = new CalibratedIterationTimeModel(fit.profile);
  const prompt = Math.round((lengths.prompt[0] + lengths.prompt[1]) / 2);
  const output = Math.round((lengths.output[0] + lengths.output[1]) / 2);
  const prefillS = model.iterationTime(
    calibrationBatchShape({ prefill: [prompt], decodes: 0, decodeKvLen: 0, timeS: 1 }),
  );
  const decodeS =
    model.iterationTime(
      calibrationBatchShape({
        prefill: [],
        decodes: RATE_ESTIMATE_BATCH,
        decodeKvLen: prompt + Math.round(output / 2),
        timeS: 1,
      }),
    ) / RATE_ESTIMATE_BATCH;
  return Number((TARGET_UTILISATION / (prefillS + output * decodeS)).toPrecision(3));
}

/** A YAML scalar: plain when it is a simple word or path, else JSON-quoted. */
function yamlScalar(value: string): string {
  return /^[A-Za-z0-9_][\w./-]*$/.test(value) ? value : JSON.stringify(value);
}

/**
 * The sweep spec of one run of the synthetic workload under vllm.
 * @param machine the `machine:` value: a YAML scalar, or the lines of a block mapping (unindented)
 */
function sweepSpec(
  name: string,
  machine: string | string[],
  o: GpuReportOptions,
  lengths: Lengths,
  rate: number,
): string {
  return [
    `name: ${name}`,
    ...(typeof machine === 'string'
      ? [`machine: ${machine}`]
      : ['machine:', ...machine.map((l) => `  ${l}`)]),
    `requests: ${o.requests}`,
    `seeds: [${o.seed}]`,
    'workloads:',
    '  - name: synthetic',
    `    promptTokens: { dist: uniform, min: ${lengths.prompt[0]}, max: ${lengths.prompt[1]} }`,
    `    outputTokens: { dist: uniform, min: ${lengths.output[0]}, max: ${lengths.output[1]} }`,
    `    arrival: { process: poisson, rate: ${rate} }`,
    'policies:',
    '  - { policy: vllm }',
    '',
  ].join('\n');
}

/**
 * Step 5: plans and executes the GPU-in-the-loop sweep (one run on the worker, `kvBlocks: auto`
 * = the calibration's capacity) and its twin on `profile:NAME/MODEL`, from spec files written to
 * `dir`; then the per-iteration errors of the calibrated and the linear model on the GPU run.
 * @throws Error when a run fails (with the run's stored error) or stores no iterations
 */
async function runBoth(
  store: Store,
  machine: WorkerMachine,
  o: GpuReportOptions,
  calibration: Calibration,
  dir: string,
  progress: (line: string) => void,
): Promise<LoopComparison> {
  const lengths = lengthsFor(o.model);
  const rate = o.rate ?? defaultRate(calibration.fit, lengths);
  const gpuSpec = sweepSpec(
    'gpu-report-in-the-loop',
    [
      `worker: ${machine.name}`,
      `model: ${yamlScalar(o.model)}`,
      `dtype: ${calibration.row.dtype}`,
      'kvBlocks: auto',
      `stepTimeoutS: ${o.timeoutS}`,
    ],
    o,
    lengths,
    rate,
  );
  const twinSpec = sweepSpec(
    'gpu-report-simulated-twin',
    yamlScalar(`${PROFILE_MACHINE_PREFIX}${machine.name}/${o.model}`),
    o,
    lengths,
    rate,
  );
  const execute = async (label: string, spec: string): Promise<{ runId: number; metrics: RunMetrics }> => {
    const file = join(dir, `${label}.yaml`);
    writeFileSync(file, spec);
    const plan = planSweep(file, { registry: () => store });
    progress(`${label}: ${o.requests} requests at ${rate} req/s on ${plan.machine.name}`);
    const outcome = await executeSweep(plan, store, { jobs: 1 });
    const [run] = store.listRuns({ sweepId: outcome.sweepId });
    if (run.status !== 'done' || !run.metrics) {
      throw new Error(`${label} run #${run.id} ${run.status}: ${run.error ?? 'no metrics'}`);
    }
    progress(
      `${label}: done, ${run.metrics.iterations} iterations, ${formatNumber(run.metrics.makespan_s)} s simulated`,
    );
    return { runId: run.id, metrics: run.metrics };
  };
  const gpu = await execute('gpu-in-the-loop', gpuSpec);
  const twin = await execute('simulated-twin', twinSpec);

  const iterations = store.getIterations(gpu.runId);
  if (!iterations) throw new Error(`GPU-in-the-loop run #${gpu.runId} stored no iterations`);
  const calibratedErrors = iterationErrors(
    iterations,
    new CalibratedIterationTimeModel(calibration.fit.profile),
  );
  let linearErrors: IterationErrorSummary[] | string;
  try {
    const { d0, d1 } = calibration.fit.linear;
    linearErrors = iterationErrors(iterations, new LinearIterationTimeModel(d0, d1));
  } catch (e) {
    linearErrors = (e as Error).message;
  }
  return { lengths, rate, gpuSpec, twinSpec, gpu, twin, calibratedErrors, linearErrors };
}

// ---- the report ------------------------------------------------------------------------------

/** `x` with 4 significant digits (runner/reports/format-number.ts). */
const num = (x: number | null): string => formatNumber(x);
const ms = (s: number): string => formatNumber(s * 1000);
const pct = (x: number | null): string => (x === null ? '-' : `${x.toFixed(2)} %`);
/** Bytes in GiB from 1 GiB up, else in MiB. */
const bytes = (b: number): string => (b >= 2 ** 30 ? `${num(b / 2 ** 30)} GiB` : `${num(b / 2 ** 20)} MiB`);

/** A shell word, quoted when it has characters a shell would interpret. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The metrics compared side by side, with their labels. */
const LOOP_METRICS: readonly [MetricKey, string, (v: number) => string][] = [
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

interface ReportInput {
  argv: string[];
  o: GpuReportOptions;
  dbFile: string;
  dbTemporary: boolean;
  machine: WorkerMachine;
  machineTemporary: boolean;
  startedAt: Date;
  device: DeviceMeasurements;
  calibration: Calibration;
  loop: LoopComparison;
}

/** The Markdown report: setup, roofline, decode, prefill, calibration, in-the-loop, how it was produced. */
function renderReport(r: ReportInput): string {
  const { o, device, calibration, loop } = r;
  const { hello, roofline, loaded } = device;
  const gpu = hello.gpu_name ?? `${loaded.device} (no GPU)`;
  const copyGBs = roofline.copy_bytes_per_s / 1e9;
  const tera = roofline.matmul_flops_per_s >= 1e12;
  const flopUnit = tera ? 'TFLOP/s' : 'GFLOP/s';
  const flops = (x: number): string => num(x / (tera ? 1e12 : 1e9));
  const bytesPer = dtypeBytes(loaded.dtype);
  const out: string[] = [];
  const para = (...lines: string[]): void => {
    out.push(lines.join('\n'), '');
  };

  para(`# GPU results: ${o.model} on ${gpu}`);
  para(
    `Generated ${r.startedAt.toISOString()} by \`bench/gpu-report.ts\` (issue 6). Weights are **random** ` +
      `(N(0, 0.02), seed 0): iteration time does not depend on weight values, so no checkpoint is needed.`,
  );
  if (hello.device !== 'cuda') {
    para(
      '**No GPU was available**: this report was produced on CPU, so it shows that the script works; ' +
        'its numbers say nothing about a GPU. Run `npm run gpu-report` on a GPU machine for the real one.',
    );
  }

  out.push('## Setup', '');
  para(
    markdownTable(
      ['', 'value'],
      [
        ['date (UTC)', r.startedAt.toISOString()],
        ['GPU', hello.gpu_name ?? 'none (CPU)'],
        ['GPU memory', hello.gpu_memory_bytes === null ? '-' : bytes(hello.gpu_memory_bytes)],
        ['device', loaded.device],
        ['torch', hello.torch],
        ['Python', hello.python],
        ['scaled_dot_product_attention', hello.sdpa ? 'yes' : 'no (plain attention maths)'],
        ['worker machine', `${r.machine.name}: ${describeWorkerMachine(r.machine)}`],
        ['model', `${loaded.model} (${loaded.weights} weights)`],
        ['dtype', `${loaded.dtype} (${bytesPer} bytes)`],
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
  );

  out.push('## Roofline', '');
  para(
    `Measured by the worker's \`roofline\` message (docs/worker-protocol.md), median of ${roofline.repeats} ` +
      'timed runs after one untimed run.',
  );
  para(
    markdownTable(
      ['measurement', 'size', 'median time (ms)', 'rate'],
      [
        [
          'copy bandwidth (`dst.copy_(src)`, read + write)',
          bytes(roofline.copy_bytes),
          ms(median(roofline.copy_times_s)),
          `${num(copyGBs)} GB/s`,
        ],
        [
          `matrix multiply (${roofline.dtype})`,
          `${roofline.matmul_n} x ${roofline.matmul_n}`,
          ms(median(roofline.matmul_times_s)),
          `${flops(roofline.matmul_flops_per_s)} ${flopUnit}`,
        ],
      ],
    ),
  );

  out.push('## Decode iteration time vs the memory-bandwidth floor', '');
  para(
    'Decode-only batches (`profile` shapes: every request has the KV length shown cached), median of ' +
      `${o.repeats} timed iterations after ${o.warmup} untimed. Weight floor = weight bytes ` +
      `(${loaded.parameters.toLocaleString('en-US')} parameters x ${bytesPer} bytes) / copy bandwidth ` +
      `(${num(copyGBs)} GB/s); floor with KV adds the KV bytes read (kv_block_bytes / block_size x batch x ` +
      'KV length). The parameters include the embedding table, of which a decode reads only one row per request.',
  );
  para(
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
  );
  const capped = device.decode.filter((d) => d.kvLen < o.decodeKvLen);
  if (capped.length > 0) {
    para(
      `KV length below the requested ${o.decodeKvLen} where the KV cache (${loaded.kv_blocks} blocks) or the ` +
        `context could not hold ${o.decodeKvLen} tokens for every request: batch ${capped.map((d) => d.batch).join(', ')}.`,
    );
  }
  if (device.decodeSkipped.length > 0) para(`Not timed: ${device.decodeSkipped.join('; ')}.`);

  out.push('## Prefill throughput vs the matrix-multiply rate', '');
  para(
    'One new request per batch, a single chunk with no cached tokens; median of the timed iterations. ' +
      'Achieved FLOP/s = 2 x parameters x tokens / time: a dense estimate that leaves out attention ' +
      "(quadratic in the chunk) and counts the embedding table and the LM head for every token (the worker's " +
      'LM head runs on the last token only).',
  );
  para(
    markdownTable(
      ['chunk (tokens)', 'measured (ms)', 'tokens/s', `achieved ${flopUnit}`, 'of matmul rate'],
      device.prefill.map((p) => [
        String(p.chunk),
        ms(p.timeS),
        num(p.tokensPerS),
        flops(p.flopsPerS),
        pct(p.matmulFrac * 100),
      ]),
    ),
  );
  if (device.prefillSkipped.length > 0) para(`Not timed: ${device.prefillSkipped.join('; ')}.`);

  out.push('## Calibration', '');
  const fit = calibration.fit;
  const errorRow = (model: string, set: string, points: number, e: ErrorSummary): string[] => [
    model,
    set,
    String(points),
    pct(e.meanAbsPct),
    pct(e.maxAbsPct),
    ms(e.rmseS),
  ];
  para(
    `\`schedbench profile\` (runner/cli/profile-command.ts), stored as calibration #${calibration.row.id} ` +
      `and usable in specs as \`machine: ${PROFILE_MACHINE_PREFIX}${r.machine.name}/${o.model}\`. The grid's ` +
      'held-out shapes lie between the train shapes and are not used by either fit.',
  );
  para(
    `- linear model (the paper's tau = d0 + d1 x, x = prefill tokens + decode KV tokens, ordinary least ` +
      `squares over ${fit.linear.points} decode-only batches): **d0 = ${ms(fit.linear.d0)} ms**, ` +
      `**d1 = ${num(fit.linear.d1 * 1e6)} µs per KV token**, **R² = ${fit.linear.r2.toFixed(4)}**`,
    `- calibrated profile model (piecewise-linear token-wise term + attention terms, non-negative least ` +
      `squares over ${fit.train.points} batches): held-out error **${pct(fit.heldOut.profile.meanAbsPct)} mean**, ` +
      `${pct(fit.heldOut.profile.maxAbsPct)} max over ${fit.heldOut.points} shapes`,
  );
  para(
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
  );
  para(
    'The linear model is fitted to decode-only batches, so its errors on prefill and mixed shapes show what ' +
      'the paper approximates.',
  );
  para('What `schedbench profile` printed:', '', '```text', calibration.text.trimEnd(), '```');

  out.push('## GPU-in-the-loop run vs its simulated twin', '');
  para(
    `${o.requests} requests, Poisson arrivals at ${loop.rate} req/s` +
      (o.rate === undefined
        ? ` (${TARGET_UTILISATION} x the calibrated model's capacity estimate: prefill of the mean prompt plus ` +
          `the mean output's decodes at 1/${RATE_ESTIMATE_BATCH} of a ${RATE_ESTIMATE_BATCH}-decode iteration)`
        : '') +
      `, prompts uniform ${loop.lengths.prompt[0]}-${loop.lengths.prompt[1]} tokens, outputs uniform ` +
      `${loop.lengths.output[0]}-${loop.lengths.output[1]}, policy vllm, seed ${o.seed}. Both runs get the ` +
      'identical request list; the GPU run executes every batch on the worker and advances its clock by the ' +
      `measured time (run #${loop.gpu.runId}), the twin simulates the same engine on ` +
      `\`${PROFILE_MACHINE_PREFIX}${r.machine.name}/${o.model}\` (run #${loop.twin.runId}), with the same KV ` +
      `capacity (${calibration.row.kvBlocks} blocks). Gap = (simulated - GPU) / GPU.`,
  );
  para(
    "The GPU run's spec (the twin's differs in `name` and `machine` only):",
    '',
    '```yaml',
    loop.gpuSpec.trimEnd(),
    '```',
  );
  para(
    markdownTable(
      ['metric', 'GPU-in-the-loop', 'simulated twin', 'gap'],
      LOOP_METRICS.map(([key, label, show]) => {
        const real = loop.gpu.metrics[key];
        const sim = loop.twin.metrics[key];
        const gap = real === null || sim === null || real === 0 ? null : ((sim - real) / real) * 100;
        return [label, real === null ? '-' : show(real), sim === null ? '-' : show(sim), pct(gap)];
      }),
    ),
  );
  out.push('### Per-iteration error of the calibrated model', '');
  para(
    `Each of the ${loop.gpu.metrics.iterations} iterations the GPU run measured (Store.getIterations), ` +
      'predicted by the calibrated model (and the linear one) from its batch. The store keeps only aggregate ' +
      'columns per iteration (prefill chunks, prefill tokens, decodes, decode KV tokens), so **each prefill is ' +
      'approximated as equal chunks with no cached tokens** (exact for one whole prompt per iteration; vllm ' +
      'prefills whole prompts). Error = |predicted - measured| / measured; total = (sum predicted - sum ' +
      'measured) / sum measured.',
  );
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
  para(
    markdownTable(
      ['model', 'iterations', 'count', 'mean abs error', 'median abs error', 'p90 abs error', 'total'],
      [
        ...errorRows('calibrated profile', loop.calibratedErrors),
        ...(typeof loop.linearErrors === 'string' ? [] : errorRows('linear (d0 + d1 x)', loop.linearErrors)),
      ],
      ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
    ),
  );
  if (typeof loop.linearErrors === 'string') para(`Linear model not evaluated: ${loop.linearErrors}.`);

  out.push('## How this was produced', '');
  para(
    'Command (from the repository root; `npm run gpu-report` builds first and runs `node dist/bench/gpu-report.js`):',
    '',
    '```sh',
    ['npm run gpu-report --', ...r.argv.map(shellWord)].join(' ').replace(/ --$/, ''),
    '```',
  );
  const p = calibration.options;
  const profileArgs = [
    'schedbench profile',
    r.machine.name,
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
  para(
    'The steps, as separate commands:',
    '',
    '```sh',
    ...(r.machineTemporary
      ? [`schedbench machines add ${r.machine.name} --local --python ${shellWord(o.python)}`]
      : []),
    `# worker messages: hello; roofline {repeats: ${o.repeats}}; load {model: ${o.model}, kv_blocks: ${o.kvBlocks}, ` +
      `block_size: ${o.blockSize}}; profile per decode batch and prefill chunk {repeats: ${o.repeats}, warmup: ${o.warmup}}`,
    profileArgs.join(' '),
    'schedbench sweep gpu-in-the-loop.yaml   # the spec above',
    'schedbench sweep simulated-twin.yaml    # machine: profile:...',
    '```',
  );
  para(
    markdownTable(
      ['option', 'value'],
      [
        ['--model', o.model],
        ['--dtype', `${o.dtype ?? 'default'} (used: ${loaded.dtype})`],
        ['--machine', r.machineTemporary ? `(temporary local machine ${r.machine.name})` : r.machine.name],
        ['--python', r.machineTemporary ? o.python : '(the machine’s own)'],
        ['--db', r.dbTemporary ? '(temporary file, deleted afterwards)' : r.dbFile],
        ['--kv-blocks', `${o.kvBlocks} (allocated: ${loaded.kv_blocks})`],
        ['--block-size', String(o.blockSize)],
        ['--decode-batches', o.decodeBatches.join(',')],
        ['--decode-kv-len', String(o.decodeKvLen)],
        ['--prefill-chunks', o.prefillChunks.join(',')],
        ['--requests', String(o.requests)],
        ['--rate', o.rate === undefined ? `derived: ${loop.rate}` : String(o.rate)],
        ['--seed', String(o.seed)],
        ['--max-batch-tokens', o.maxBatchTokens === undefined ? 'profile default' : String(o.maxBatchTokens)],
        ['--max-decodes', o.maxDecodes === undefined ? 'profile default' : String(o.maxDecodes)],
        ['--max-kv-tokens', o.maxKvTokens === undefined ? 'profile default' : String(o.maxKvTokens)],
        ['--repeats', String(o.repeats)],
        ['--warmup', String(o.warmup)],
        ['--timeout-s', String(o.timeoutS)],
      ],
      ['left', 'left'],
    ),
  );
  return `${out.join('\n').trimEnd()}\n`;
}

/** Median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---- main ------------------------------------------------------------------------------------

/**
 * Runs every step and writes the report. A temporary database and the spec files live in a
 * temporary folder, removed at the end; the temporary local machine is removed from the database.
 */
async function main(argv: string[]): Promise<void> {
  const startedAt = new Date();
  const o = parseOptions(argv);
  const progress = (line: string): void => {
    process.stderr.write(`gpu-report: ${line}\n`);
  };
  const dir = mkdtempSync(join(tmpdir(), 'schedbench-gpu-report-'));
  const dbTemporary = o.db === undefined && o.machine === undefined;
  const dbFile = o.db ?? (o.machine === undefined ? join(dir, 'gpu-report.db') : defaultDatabasePath());
  try {
    const store = Store.open(dbFile);
    let temporary: string | undefined;
    try {
      let machine: WorkerMachine;
      if (o.machine !== undefined) {
        machine = registeredMachine(store, o.machine);
      } else {
        const existing = store.getWorkerMachine(TEMPORARY_MACHINE);
        if (existing) {
          throw new InputError(
            `machine ${TEMPORARY_MACHINE} exists in ${dbFile} (left by an interrupted run?): remove it with ` +
              `\`schedbench machines remove ${TEMPORARY_MACHINE} --db ${dbFile}\` or pass --machine`,
          );
        }
        machine = store.addWorkerMachine({ name: TEMPORARY_MACHINE, kind: 'local', python: o.python });
        temporary = machine.name;
      }
      const device = await measureDevice(machine, o, progress);
      const calibration = await calibrate(store, machine, o, device.loaded.dtype as Dtype, progress);
      const loop = await runBoth(store, machine, o, calibration, dir, progress);
      const report = renderReport({
        argv: argv.slice(2),
        o,
        dbFile,
        dbTemporary,
        machine,
        machineTemporary: temporary !== undefined,
        startedAt,
        device,
        calibration,
        loop,
      });
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, report);
      progress(`report written to ${o.out}`);
      process.stdout.write(`${o.out}\n`);
    } finally {
      if (temporary !== undefined) store.removeWorkerMachine(temporary);
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main(process.argv);
} catch (error) {
  process.stderr.write(`gpu-report: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
