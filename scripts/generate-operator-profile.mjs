#!/usr/bin/env node
// Writes the pre-parsed operator profile of the default machine, a100-llama2-7b:
// data/generated/a100-llama2-7b-mlp-tp1.json, the tensor-parallel-1 rows of Vidur's A100
// Llama-2-7B mlp.csv as runner/latency/operator-profile.ts reads them (per-layer medians of the
// nine token-wise operators by token count), in the form runner/latency/pre-parsed-profile.ts
// loads. Run it after changing either module or the CSV; test/unit/latency/pre-parsed-profile.test.ts
// fails while the shipped file differs from what this script writes.
//
// Usage: npx tsc -p tsconfig.build.json && node scripts/generate-operator-profile.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const { loadOperatorProfile } = await import(new URL('dist/runner/latency/operator-profile.js', root).href);
const { serializeOperatorProfile, A100_LLAMA2_7B_PROFILE_CSV, A100_LLAMA2_7B_PROFILE_JSON } = await import(
  new URL('dist/runner/latency/pre-parsed-profile.js', root).href
);
const csv = fileURLToPath(new URL(A100_LLAMA2_7B_PROFILE_CSV, root));
const out = fileURLToPath(new URL(A100_LLAMA2_7B_PROFILE_JSON, root));
writeFileSync(out, serializeOperatorProfile(loadOperatorProfile(csv), A100_LLAMA2_7B_PROFILE_CSV));
process.stdout.write(`${out}\n`);
