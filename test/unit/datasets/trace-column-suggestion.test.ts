import { describe, expect, it } from 'vitest';
import { guessTimestamps, suggestTraceMapping } from '../../../runner/datasets/trace-column-suggestion.js';

const none = (): unknown[] => [];

describe('trace column suggestion', () => {
  it('maps a BurstGPT export (relative seconds)', () => {
    const fields = ['Timestamp', 'Model', 'Request tokens', 'Response tokens', 'Total tokens', 'Log Type'];
    expect(suggestTraceMapping(fields, () => ['5', '45', '118'])).toEqual({
      columns: { arrival: 'Timestamp', prompt: 'Request tokens', output: 'Response tokens' },
      timestampFormat: 'seconds',
      timeUnit: 's',
    });
  });

  it('maps the Azure 2023 trace, whose timestamps are datetimes', () => {
    const m = suggestTraceMapping(['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'], () => [
      '2023-11-16 18:15:46.6805900',
    ]);
    expect(m).toEqual({
      columns: { arrival: 'TIMESTAMP', prompt: 'ContextTokens', output: 'GeneratedTokens' },
      timestampFormat: 'datetime',
      timeUnit: null,
    });
  });

  it('maps Vidur, Mooncake and OpenAI-style field names', () => {
    expect(
      suggestTraceMapping(['arrived_at', 'num_prefill_tokens', 'num_decode_tokens'], none).columns,
    ).toEqual({
      arrival: 'arrived_at',
      prompt: 'num_prefill_tokens',
      output: 'num_decode_tokens',
    });
    expect(
      suggestTraceMapping(['timestamp', 'input_length', 'output_length', 'hash_ids'], () => [0, 27]).columns,
    ).toEqual({ arrival: 'timestamp', prompt: 'input_length', output: 'output_length' });
    expect(
      suggestTraceMapping(['created_at', 'usage.prompt_tokens', 'usage.completion_tokens'], none).columns,
    ).toEqual({ arrival: 'created_at', prompt: 'usage.prompt_tokens', output: 'usage.completion_tokens' });
  });

  it('falls back on a token-or-length name with a prompt or response word (an LMSYS-Chat-1M export)', () => {
    const m = suggestTraceMapping(
      ['conversation_id', 'model', 'tstamp', 'prompt_len', 'response_len'],
      () => [1_690_000_000.25],
    );
    expect(m.columns).toEqual({ arrival: 'tstamp', prompt: 'prompt_len', output: 'response_len' });
    expect(m.timeUnit).toBe('s');
  });

  it('never maps two roles to one field, and leaves unknown roles out', () => {
    const m = suggestTraceMapping(['id', 'request_tokens', 'text'], none);
    expect(m.columns).toEqual({ prompt: 'request_tokens' });
  });

  it('guesses the unit of numeric timestamps from the name, else from epoch magnitudes', () => {
    expect(guessTimestamps('timestamp_ms', ['1', '2'])).toEqual({
      timestampFormat: 'seconds',
      timeUnit: 'ms',
    });
    expect(guessTimestamps('arrival_us', ['1'])).toEqual({ timestampFormat: 'seconds', timeUnit: 'us' });
    expect(guessTimestamps('time', [1_700_000_000_123])).toEqual({
      timestampFormat: 'seconds',
      timeUnit: 'ms',
    });
    expect(guessTimestamps('time', [1_700_000_000_123_456])).toEqual({
      timestampFormat: 'seconds',
      timeUnit: 'us',
    });
    expect(guessTimestamps('user_time', ['12.5'])).toEqual({ timestampFormat: 'seconds', timeUnit: 's' });
    expect(guessTimestamps('when', ['2024-05-01T10:00:00Z'])).toEqual({
      timestampFormat: 'datetime',
      timeUnit: null,
    });
  });
});
