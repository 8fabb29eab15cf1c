/**
 * Guessing how a user's trace maps to a request's fields, for the import preview: which column
 * holds the arrival time, the prompt tokens and the output tokens, and how the timestamps are
 * written. Names known from public traces are recognised (Vidur/Splitwise, Azure 2023, Mooncake,
 * BurstGPT, LMSYS-Chat-1M and OpenAI-style exports); the user confirms or changes every guess.
 */
import type { TimeUnit } from '../workloads/timestamp.js';
import type { TraceColumns } from '../workloads/workload-spec.js';

/** A mapping of a trace's fields, possibly incomplete. */
export interface TraceMapping {
  columns: Partial<TraceColumns>;
  timestampFormat: 'seconds' | 'datetime';
  /** Unit of numeric timestamps; null for datetimes. */
  timeUnit: TimeUnit | null;
}

/** Known field names, normalised (lowercase letters and digits only), best first. */
const KNOWN: Record<keyof TraceColumns, readonly string[]> = {
  arrival: [
    'arrivedat',
    'arrivaltime',
    'arrivaltimestamp',
    'timestamp',
    'tstamp',
    'arrival',
    'requesttime',
    'createdat',
    'starttime',
    'time',
    'ts',
  ],
  prompt: [
    'numprefilltokens',
    'prompttokens',
    'numprompttokens',
    'inputlength',
    'inputtokens',
    'numinputtokens',
    'contexttokens',
    'requesttokens',
    'promptlength',
    'promptlen',
    'inputlen',
  ],
  output: [
    'numdecodetokens',
    'outputtokens',
    'numoutputtokens',
    'outputlength',
    'generatedtokens',
    'completiontokens',
    'numcompletiontokens',
    'responsetokens',
    'outputlen',
    'responselength',
  ],
};

/** Words that, with "token" or "len" in a name, point at a field when no known name matches. */
const HINTS: Record<'prompt' | 'output', RegExp> = {
  prompt: /prompt|input|context|request|prefill/,
  output: /output|completion|response|generat|decode/,
};

const normalise = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Guesses the mapping of a trace's fields.
 * @param fields the trace's field names (CSV header, or JSON keys), in file order
 * @param arrivalSamples the first values of the guessed arrival field are read from this, by field
 *   name (text or JSON values), to tell numbers from datetimes and guess a unit
 * @returns the guess; a field left out of `columns` was not recognised
 */
export function suggestTraceMapping(
  fields: readonly string[],
  arrivalSamples: (field: string) => readonly unknown[],
): TraceMapping {
  const taken = new Set<string>();
  const pick = (key: keyof TraceColumns): string | undefined => {
    const byName = new Map(fields.filter((f) => !taken.has(f)).map((f) => [normalise(f), f]));
    for (const known of KNOWN[key]) {
      const field = byName.get(known);
      if (field !== undefined) return field;
    }
    if (key === 'arrival') return undefined;
    return fields.find(
      (f) => !taken.has(f) && HINTS[key].test(normalise(f)) && /token|len/.test(normalise(f)),
    );
  };
  const columns: Partial<TraceColumns> = {};
  for (const key of ['arrival', 'prompt', 'output'] as const) {
    const field = pick(key);
    if (field !== undefined) {
      columns[key] = field;
      taken.add(field);
    }
  }
  if (columns.arrival === undefined) return { columns, timestampFormat: 'seconds', timeUnit: 's' };
  return { columns, ...guessTimestamps(columns.arrival, arrivalSamples(columns.arrival)) };
}

/**
 * How timestamps are written: numbers (unit from the field's name, else from their size: epoch
 * milliseconds and microseconds are above 1e11 and 1e14) or datetimes.
 */
export function guessTimestamps(
  field: string,
  samples: readonly unknown[],
): Pick<TraceMapping, 'timestampFormat' | 'timeUnit'> {
  const present = samples.filter((v) => v !== null && v !== undefined && String(v).trim() !== '');
  const numbers = present.map((v) => (typeof v === 'number' ? v : Number(String(v).trim())));
  if (present.length > 0 && numbers.some((n) => !Number.isFinite(n))) {
    return { timestampFormat: 'datetime', timeUnit: null };
  }
  const name = field.toLowerCase();
  if (/(^|[^a-z])(ms|msec)($|[^a-z])/.test(name) || name.includes('milli')) {
    return { timestampFormat: 'seconds', timeUnit: 'ms' };
  }
  if (/(^|[^a-z])(us|usec)($|[^a-z])/.test(name) || name.includes('micro')) {
    return { timestampFormat: 'seconds', timeUnit: 'us' };
  }
  const largest = Math.max(0, ...numbers.map(Math.abs));
  const timeUnit: TimeUnit = largest >= 1e14 ? 'us' : largest >= 1e11 ? 'ms' : 's';
  return { timestampFormat: 'seconds', timeUnit };
}
