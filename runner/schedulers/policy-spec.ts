import { z } from 'zod';
import type { Scheduler } from '../engine/scheduler.js';
import type { SchedulerContext } from './scheduler-context.js';
import { FcfsScheduler, FcfsSpecSchema } from './fcfs.js';
import { McSfScheduler, McSfSpecSchema } from './mc-sf.js';
import { NestedWaitScheduler, NestedWaitSpecSchema } from './nested-wait.js';
import { SarathiScheduler, SarathiSpecSchema } from './sarathi.js';
import { VllmScheduler, VllmSpecSchema } from './vllm.js';
import { VllmV1Scheduler, VllmV1SpecSchema } from './vllm-v1.js';
import { WaitScheduler, WaitSpecSchema } from './wait.js';

/**
 * The policy registry: every policy this build knows, as its sweep-spec schema (a strict zod
 * object whose `policy` field is the policy's name, defined in the policy's own file next to its
 * class) and its scheduler class. Adding a policy means one file and one line here.
 */

/** The sweep-spec schema of one policy: a zod object whose `policy` field is a string literal. */
type PolicySchema = z.ZodObject<{ policy: z.ZodLiteral<string> } & z.core.$ZodShape, z.core.$strict>;

/** One registered policy: its spec schema and the scheduler it configures (one per run). */
interface RegisteredPolicy<S extends PolicySchema> {
  readonly schema: S;
  /** Called as `new Scheduler(validated entry, the run's context)`. */
  readonly Scheduler: new (spec: z.output<S>, context: SchedulerContext) => Scheduler;
}

/** Pairs a policy's schema with its scheduler class, checking that the class takes the schema's output. */
function register<S extends PolicySchema>(
  schema: S,
  Scheduler: new (spec: z.output<S>, context: SchedulerContext) => Scheduler,
): RegisteredPolicy<S> {
  return { schema, Scheduler };
}

/** Registered policies; the order is the order of the union's options (and of the JSON Schema). */
const REGISTRY = [
  register(VllmSpecSchema, VllmScheduler),
  register(SarathiSpecSchema, SarathiScheduler),
  register(FcfsSpecSchema, FcfsScheduler),
  register(VllmV1SpecSchema, VllmV1Scheduler),
  register(WaitSpecSchema, WaitScheduler),
  register(NestedWaitSpecSchema, NestedWaitScheduler),
  register(McSfSpecSchema, McSfScheduler),
] as const;

/** The schemas of the registered policies, as a tuple (what z.discriminatedUnion takes). */
type SchemasOf<R extends readonly unknown[]> = {
  -readonly [K in keyof R]: R[K] extends RegisteredPolicy<infer S> ? S : never;
};

/** Names of the policies this build knows, in registry order. */
export const POLICY_NAMES: readonly string[] = REGISTRY.map((p) => p.schema.shape.policy.value);

/**
 * One fully expanded policy entry of a sweep spec, defaults filled in. An unknown `policy` is
 * rejected with `unknown policy "NAME" (known: vllm, sarathi, ...)`.
 */
export const PolicySpecSchema = z.discriminatedUnion(
  'policy',
  REGISTRY.map((p) => p.schema) as unknown as SchemasOf<typeof REGISTRY>,
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `unknown policy ${JSON.stringify((issue.input as { policy?: unknown } | undefined)?.policy)} (known: ${POLICY_NAMES.join(', ')})`
        : undefined,
  },
);

/** A validated policy entry. */
export type PolicySpec = z.infer<typeof PolicySpecSchema>;

const BY_NAME = new Map<string, RegisteredPolicy<PolicySchema>>(
  REGISTRY.map((p) => [p.schema.shape.policy.value, p as unknown as RegisteredPolicy<PolicySchema>]),
);

/**
 * Creates a fresh scheduler for one run (schedulers hold per-run queues: never share one).
 * @param spec a validated policy entry
 * @param context what the run's policy may know besides engine state (see SchedulerContext)
 * @throws InputError or RangeError from the policy's constructor (see each policy), Error for a
 *   policy name that is not registered (impossible for an entry PolicySpecSchema validated)
 */
export function createScheduler(spec: PolicySpec, context: SchedulerContext): Scheduler {
  const registered = BY_NAME.get(spec.policy);
  if (!registered) throw new Error(`no scheduler registered for policy ${JSON.stringify(spec.policy)}`);
  return new registered.Scheduler(spec, context);
}
