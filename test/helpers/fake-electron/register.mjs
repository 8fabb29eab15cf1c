// `node --import ./register.mjs ...`: resolves `electron` to the fake for everything loaded after.
import { register } from 'node:module';

register('./resolve-hooks.mjs', import.meta.url);
