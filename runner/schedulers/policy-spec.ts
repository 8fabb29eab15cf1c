import { z } from 'zod';
import type { Scheduler } from '../engine/scheduler.js';
import type { SchedulerContext } from './scheduler-context.js';
import { FcfsScheduler } from './fcfs.js';
import { SarathiScheduler } from './sarathi.js';
import { VllmScheduler } from './vllm.js';
import { VllmV1Scheduler } from './vllm-v1.js';
import { McSfScheduler, McSfSpecSchema } from './mc-sf.js';
import { WaitScheduler, WaitSpecSchema } from './wait.js';
import { NestedWaitScheduler, NestedWaitSpecSchema } from './nested-wait.js';

const positiveInt = z.number().int().positive();
const watermark = z.number().min(0).max(0.5).default(0.01);

/** `vllm` parameters in a sweep spec (see VllmScheduler). */
export const VllmSpecSchema = z
  .object({
    policy: z.literal('vllm'),
    maxNumSeqs: positiveInt.default(128),
    maxNumBatchedTokens: positiveInt.default(4096),
    watermark,
  })
  .strict();

/** `sarathi` parameters in a sweep spec (see SarathiScheduler). */
export const SarathiSpecSchema = z
  .object({
    policy: z.literal('sarathi'),
    chunkSize: positiveInt.default(512),
    maxNumSeqs: positiveInt.default(128),
    watermark,
  })
  .strict();

/** `fcfs` parameters in a sweep spec (see FcfsScheduler). */
export const FcfsSpecSchema = z
  .object({
    policy: z.literal('fcfs'),
    maxNumSeqs: positiveInt.default(128),
    evictedTo: z.enum(['back', 'front']).default('back'),
  })
  .strict();

/** `vllm-v1` parameters in a sweep spec (see VllmV1Scheduler). */
export const VllmV1SpecSchema = z
  .object({
    policy: z.literal('vllm-v1'),
    maxNumBatchedTokens: positiveInt.default(2048),
    maxNumSeqs: positiveInt.default(128),
    longPrefillTokenThreshold: z.number().int().nonnegative().default(0),
  })
  .strict();

/** Names of the policies this build knows. */
export const POLICY_NAMES = ['vllm', 'sarathi', 'fcfs', 'vllm-v1', 'wait', 'nested-wait', 'mc-sf'] as const;

/** One fully expanded policy entry of a sweep spec, defaults filled in. */
export const PolicySpecSchema = z.discriminatedUnion(
  'policy',
  [
    VllmSpecSchema,
    SarathiSpecSchema,
    FcfsSpecSchema,
    VllmV1SpecSchema,
    WaitSpecSchema,
    NestedWaitSpecSchema,
    McSfSpecSchema,
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `unknown policy ${JSON.stringify((issue.input as { policy?: unknown } | undefined)?.policy)} (known: ${POLICY_NAMES.join(', ')})`
        : undefined,
  },
);

/** A validated policy entry. */
export type PolicySpec = z.infer<typeof PolicySpecSchema>;

/**
 * Creates a fresh scheduler for one run (schedulers hold per-run queues: never share one).
 * @param spec a validated policy entry
 * @param context what the run's policy may know besides engine state (see SchedulerContext)
 */
export function createScheduler(spec: PolicySpec, context: SchedulerContext): Scheduler {
  switch (spec.policy) {
    case 'vllm':
      return new VllmScheduler(spec);
    case 'sarathi':
      return new SarathiScheduler(spec);
    case 'fcfs':
      return new FcfsScheduler(spec);
    case 'vllm-v1':
      return new VllmV1Scheduler(spec);
    case 'wait':
      return new WaitScheduler(spec, context);
    case 'nested-wait':
      return new NestedWaitScheduler(spec, context);
    case 'mc-sf':
      return new McSfScheduler(spec, context);
  }
}
