/** `npm run schema`: regenerates docs/sweep-spec.schema.json from the zod schemas. */
import { writeFileSync } from 'node:fs';
import { sweepSpecJsonSchema } from './spec-json-schema.js';

const target = new URL('../../../docs/sweep-spec.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(sweepSpecJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
