import { formatNumber } from '../reports/format-number.js';
import type { GpuDeviceMeasurements, GpuReportSettings } from '../reports/gpu-report-data.js';
import {
  decodeFloorRow,
  decodeKvLenFor,
  prefillChunkLimit,
  prefillRateRow,
  type DecodeFloorRow,
  type PrefillRateRow,
} from '../reports/roofline-floors.js';
import type { WorkerMachine } from '../store/worker-machine-row.js';
import { describeWorkerMachine, startWorker } from '../workers/start-worker.js';

/**
 * Steps 1-3 of `schedbench gpu-report` on one worker process (messages: docs/worker-protocol.md):
 * `hello`, `roofline` (copy bandwidth, matrix-multiply rate; median of `repeats`), `load` (random
 * weights), then one `profile` message per decode batch of `settings.decodeBatches` (decode-only,
 * every request with `decodeKvLen` cached tokens or less where the KV cache or context is short:
 * decodeKvLenFor) and per single prefill chunk of `settings.prefillChunks` (no cached tokens; chunks
 * over prefillChunkLimit are skipped). Each shape is timed `repeats` times after `warmup` untimed
 * iterations and its median compared with the roofline floors (runner/reports/roofline-floors.ts).
 * The worker is stopped before returning, so that the calibration's worker can take the GPU memory.
 * @param progress called with one line per step
 * @returns the replies and one row per shape timed (iteration times in seconds), with the
 *   batches and chunks skipped and why
 * @throws WorkerError when the worker cannot start, load or time a shape
 */
export async function measureDevice(
  machine: WorkerMachine,
  o: GpuReportSettings,
  progress: (line: string) => void,
): Promise<GpuDeviceMeasurements> {
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
