// Module resolution hook: `electron` is the fake (fake-electron.mjs).
import { URL } from 'node:url';

const FAKE = new URL('./fake-electron.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'electron') return { url: FAKE, shortCircuit: true };
  return nextResolve(specifier, context);
}
