import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileFunction } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { BRIDGE_KEYS, BRIDGE_MEMBERS, IPC_CHANNELS } from '../../../electron/ipc-channels.js';
import { REPO } from '../../helpers/cli.js';

/**
 * The compiled preload (dist/electron/preload.cjs, from tsconfig.electron.json), run the way a
 * sandboxed renderer runs it: a classic script wrapped in a function whose `require` knows only
 * a few modules. A fake `electron` records what it exposes and sends.
 */
const PRELOAD = join(REPO, 'dist/electron/preload.cjs');

function loadPreload() {
  expect(existsSync(PRELOAD), `${PRELOAD} is missing: run npm run build:electron`).toBe(true);
  const source = readFileSync(PRELOAD, 'utf8');
  const required: string[] = [];
  const exposed = new Map<string, Record<string, (...args: unknown[]) => unknown>>();
  const invoked: unknown[][] = [];
  const handlers = new Map<string, Set<(...args: unknown[]) => void>>();
  const electron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: Record<string, (...args: unknown[]) => unknown>) =>
        exposed.set(key, api),
    },
    ipcRenderer: {
      invoke: (...args: unknown[]) => {
        invoked.push(args);
        return Promise.resolve({ ok: true, value: args[0] });
      },
      on: (channel: string, handler: (...args: unknown[]) => void) => {
        if (!handlers.has(channel)) handlers.set(channel, new Set());
        handlers.get(channel)!.add(handler);
      },
      removeListener: (channel: string, handler: (...args: unknown[]) => void) =>
        handlers.get(channel)?.delete(handler),
    },
  };
  const sandboxRequire = (name: string): unknown => {
    required.push(name);
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return electron;
  };
  const wrapper = compileFunction(source, [
    'require',
    'process',
    'Buffer',
    'global',
    'setImmediate',
    'clearImmediate',
    'exports',
    'module',
  ]);
  const module = { exports: {} };
  wrapper(sandboxRequire, {}, undefined, {}, setImmediate, clearImmediate, module.exports, module);
  const emit = (channel: string, ...args: unknown[]) => {
    for (const h of handlers.get(channel) ?? []) h({ sender: 'IPC EVENT OBJECT' }, ...args);
  };
  return { source, required, exposed, invoked, handlers, emit };
}

describe('preload (sandboxed, compiled)', () => {
  it('is a CommonJS script that requires only electron', () => {
    const { source, required } = loadPreload();
    expect(required).toEqual(['electron']);
    expect(source).not.toMatch(/^\s*(import|export)\s/m);
    expect([...source.matchAll(/require\((['"])([^'"]+)\1\)/g)].map((m) => m[2])).toEqual(['electron']);
  });

  it('uses exactly the channels of ipc-channels.ts', () => {
    const { source } = loadPreload();
    const used = new Set([...source.matchAll(/'(schedbench:[a-z-]+)'/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.values(IPC_CHANNELS).sort());
  });

  it('exposes window.schedbench with the members of the contract, and nothing else', () => {
    const { exposed } = loadPreload();
    expect([...exposed.keys()]).toEqual(['schedbench']);
    expect(Object.keys(exposed.get('schedbench')!).sort()).toEqual([...BRIDGE_KEYS].sort());
  });

  it('puts each member on its contract channel', async () => {
    const { exposed, invoked, handlers } = loadPreload();
    const api = exposed.get('schedbench')!;
    for (const key of BRIDGE_KEYS) {
      const { channel, kind } = BRIDGE_MEMBERS[key];
      if (kind === 'invoke') {
        invoked.length = 0;
        await api[key]!(key === 'call' ? 'health' : {}, {});
        expect(invoked[0]?.[0], key).toBe(channel);
      } else {
        const before = handlers.get(channel)?.size ?? 0;
        api[key]!(() => undefined);
        expect(handlers.get(channel)?.size, key).toBe(before + 1);
      }
    }
  });

  it('invokes one fixed channel per member', async () => {
    const { exposed, invoked } = loadPreload();
    const api = exposed.get('schedbench')!;
    await api.call!('runs.list', { limit: 5 });
    await api.openSpec!();
    await api.chooseTrace!();
    await api.saveFile!({ suggestedName: 'r.csv', content: 'a,b', kind: 'csv' });
    await api.savePdf!({ suggestedName: 'compare.pdf' });
    expect(invoked).toEqual([
      ['schedbench:call', 'runs.list', { limit: 5 }],
      ['schedbench:open-spec', {}],
      ['schedbench:choose-trace', {}],
      ['schedbench:save-file', { suggestedName: 'r.csv', content: 'a,b', kind: 'csv' }],
      ['schedbench:save-pdf', { suggestedName: 'compare.pdf' }],
    ]);
  });

  it('hands listeners the payload only, never the IPC event, and unsubscribes', () => {
    const { exposed, emit, handlers } = loadPreload();
    const api = exposed.get('schedbench')!;
    const events: unknown[][] = [];
    const unsubscribe = api.onEvent!((...args: unknown[]) => events.push(args)) as () => void;
    const menus: unknown[][] = [];
    api.onMenu!((...args: unknown[]) => menus.push(args));
    const statuses: unknown[][] = [];
    api.onRunnerStatus!((...args: unknown[]) => statuses.push(args));
    emit('schedbench:event', 'ended', { sweepId: 1 });
    emit('schedbench:menu', 'save-report', null);
    emit('schedbench:runner-status', { state: 'running', message: 'ok', restarts: 0 });
    expect(events).toEqual([['ended', { sweepId: 1 }]]);
    expect(menus).toEqual([['save-report', null]]);
    expect(statuses).toEqual([[{ state: 'running', message: 'ok', restarts: 0 }]]);
    unsubscribe();
    expect(handlers.get('schedbench:event')!.size).toBe(0);
    emit('schedbench:event', 'ended', { sweepId: 2 });
    expect(events).toHaveLength(1);
    expect(() => api.onEvent!('not a function')).toThrow(TypeError);
  });
});
