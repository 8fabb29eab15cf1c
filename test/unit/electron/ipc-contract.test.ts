import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SchedbenchBridge } from '../../../electron/desktop-bridge.js';
import {
  BRIDGE_KEYS,
  BRIDGE_MEMBERS,
  INVOKE_CHANNELS,
  IPC_CHANNELS,
  MENU_COMMANDS,
  PUSH_CHANNELS,
  SUBSCRIBE_MEMBERS,
} from '../../../electron/ipc-channels.js';
import {
  HANDLED_MENU_COMMANDS,
  preloadTransport,
  runnerStatusNotice,
  subscribeDesktop,
  SUBSCRIBED_MEMBERS,
  type DesktopBridge,
  type DesktopHandlers,
  type RunnerStatusIn,
} from '../../../renderer/src/api/preload-transport.js';
import { REPO } from '../../helpers/cli.js';

/**
 * One contract for desktop messaging (electron/ipc-channels.ts): every channel the main process
 * sends on has a renderer subscriber and every menu command it sends a renderer handler, every
 * channel it handles is an invoke member of the bridge, and the reverse. Read statically: the
 * channels and commands main.ts sends and handles from its source, those the renderer takes from
 * the lists renderer/src/api/preload-transport.ts exports (checked against what its code
 * subscribes with a fake bridge).
 */

/** What a main-process source sends and handles, read from its text. */
function mainMessaging(source: string): {
  handled: string[];
  pushed: string[];
  menuCommands: string[];
  rawChannels: string[];
  otherSends: string[];
} {
  const channelOf = (key: string): string =>
    (IPC_CHANNELS as Record<string, string>)[key] ?? `IPC_CHANNELS.${key} (not in the contract)`;
  const all = (re: RegExp): string[] => [...source.matchAll(re)].map((m) => m[1]!);
  return {
    handled: all(/ipcMain\.handle\(\s*IPC_CHANNELS\.(\w+)/g).map(channelOf),
    pushed: all(/(?:\bbroadcast|\.send)\(\s*IPC_CHANNELS\.(\w+)/g).map(channelOf),
    menuCommands: all(/\bsendMenu\(\s*[\w.]+\s*,\s*'([^']*)'/g),
    // Every channel goes through IPC_CHANNELS: no channel name written out.
    rawChannels: all(/['"`](schedbench:[a-z][a-z-]*)['"`]/g),
    // `.send(x, ...)` other than on a contract channel: only broadcast's own parameter.
    otherSends: all(/\.send\(\s*(?!IPC_CHANNELS\.)([^,)]*)/g).filter((arg) => arg !== 'channel'),
  };
}

/** What the renderer subscribes to and handles, as the lists of preload-transport.ts say. */
interface RendererMessaging {
  subscribedMembers: readonly string[];
  menuCommands: readonly string[];
}

/** Every way main.ts and the renderer disagree with the contract; empty when they agree. */
function contractProblems(mainSource: string, renderer: RendererMessaging): string[] {
  const main = mainMessaging(mainSource);
  const problems: string[] = [];
  /** Compares two sets: `extra(x)` for each x only in `actual`, `missing(x)` for each only in `expected`. */
  const same = (
    actual: readonly string[],
    expected: readonly string[],
    extra: (x: string) => string,
    missing: (x: string) => string,
  ): void => {
    const a = new Set(actual);
    const e = new Set(expected);
    for (const x of a) if (!e.has(x)) problems.push(extra(x));
    for (const x of e) if (!a.has(x)) problems.push(missing(x));
  };
  same(
    main.handled,
    INVOKE_CHANNELS,
    (x) => `main.ts handles ${x}, which is not an invoke channel of the contract`,
    (x) => `main.ts does not handle ${x}`,
  );
  same(
    main.pushed,
    PUSH_CHANNELS,
    (x) => `main.ts sends on ${x}, which is not a push channel of the contract`,
    (x) => `main.ts never sends on ${x}`,
  );
  same(
    main.menuCommands,
    MENU_COMMANDS,
    (x) => `main.ts sends the menu command ${x}, which is not in the contract`,
    (x) => `main.ts never sends the menu command ${x}`,
  );
  const channelOfMember = (m: string): string =>
    (BRIDGE_MEMBERS as Record<string, { channel: string }>)[m]?.channel ?? `${m} (not a bridge member)`;
  same(
    renderer.subscribedMembers.map(channelOfMember),
    main.pushed,
    (x) => `the renderer subscribes to ${x}, which main.ts never sends on`,
    (x) => `main.ts sends on ${x}, which no renderer code subscribes to`,
  );
  same(
    renderer.menuCommands,
    main.menuCommands,
    (x) => `the renderer handles the menu command ${x}, which main.ts never sends`,
    (x) => `main.ts sends the menu command ${x}, which the renderer does not handle`,
  );
  for (const raw of main.rawChannels)
    problems.push(`main.ts names the channel '${raw}' instead of IPC_CHANNELS`);
  for (const arg of main.otherSends) problems.push(`main.ts sends on ${arg}, not a contract channel`);
  return problems;
}

const MAIN_SOURCE = readFileSync(join(REPO, 'electron', 'main.ts'), 'utf8');
const RENDERER: RendererMessaging = {
  subscribedMembers: SUBSCRIBED_MEMBERS,
  menuCommands: HANDLED_MENU_COMMANDS,
};

describe('the desktop messaging contract', () => {
  it('main.ts and the renderer agree with it', () => {
    expect(contractProblems(MAIN_SOURCE, RENDERER)).toEqual([]);
    const main = mainMessaging(MAIN_SOURCE);
    expect(new Set(main.pushed)).toEqual(
      new Set([IPC_CHANNELS.event, IPC_CHANNELS.menu, IPC_CHANNELS.runnerStatus]),
    );
    expect(new Set(main.menuCommands)).toEqual(new Set(['open-spec', 'save-report', 'database-imported']));
  });

  it('fails when main.ts sends something the renderer does not listen to, or the reverse', () => {
    const newCommand = MAIN_SOURCE.replace(
      "sendMenu(w.webContents, 'save-report', null)",
      "sendMenu(w.webContents, 'save-report', null); sendMenu(w.webContents, 'export-all', null)",
    );
    expect(newCommand).not.toBe(MAIN_SOURCE);
    expect(contractProblems(newCommand, RENDERER)).toEqual([
      'main.ts sends the menu command export-all, which is not in the contract',
      'main.ts sends the menu command export-all, which the renderer does not handle',
    ]);
    const noStatus = MAIN_SOURCE.replaceAll('IPC_CHANNELS.runnerStatus', 'IPC_CHANNELS.event');
    expect(contractProblems(noStatus, RENDERER)).toEqual([
      'main.ts never sends on schedbench:runner-status',
      'the renderer subscribes to schedbench:runner-status, which main.ts never sends on',
    ]);
    const rawName = MAIN_SOURCE.replace('broadcast(IPC_CHANNELS.event,', "broadcast('schedbench:event',");
    expect(contractProblems(rawName, RENDERER)).toContain(
      "main.ts names the channel 'schedbench:event' instead of IPC_CHANNELS",
    );
    expect(
      contractProblems(MAIN_SOURCE, { ...RENDERER, menuCommands: ['open-spec', 'save-report'] }),
    ).toEqual(['main.ts sends the menu command database-imported, which the renderer does not handle']);
    expect(contractProblems(MAIN_SOURCE, { ...RENDERER, subscribedMembers: ['onEvent', 'onMenu'] })).toEqual([
      'main.ts sends on schedbench:runner-status, which no renderer code subscribes to',
    ]);
  });

  it('has one member per channel, and the subscribe members are the push channels', () => {
    expect(BRIDGE_KEYS).toEqual([
      'call',
      'openSpec',
      'chooseTrace',
      'saveFile',
      'savePdf',
      'onEvent',
      'onMenu',
      'onRunnerStatus',
    ]);
    expect(new Set(BRIDGE_KEYS.map((k) => BRIDGE_MEMBERS[k].channel))).toEqual(
      new Set(Object.values(IPC_CHANNELS)),
    );
    expect([...INVOKE_CHANNELS, ...PUSH_CHANNELS].sort()).toEqual(Object.values(IPC_CHANNELS).sort());
    expect([...SUBSCRIBED_MEMBERS]).toEqual(SUBSCRIBE_MEMBERS);
    // The renderer's view of the bridge is what the preload gives (a compile-time check).
    const asRendererSees: (bridge: SchedbenchBridge) => DesktopBridge = (bridge) => bridge;
    expect(typeof asRendererSees).toBe('function');
  });
});

/** A fake bridge recording which members were used, and a way to send on each subscription. */
function fakeBridge() {
  const used: string[] = [];
  const listeners = new Map<string, (...args: never[]) => void>();
  const subscribe =
    (member: string) =>
    (listener: (...args: never[]) => void): (() => void) => {
      used.push(member);
      listeners.set(member, listener);
      return () => listeners.delete(member);
    };
  const unused = (member: string) => () => {
    throw new Error(`${member} was called`);
  };
  const bridge: DesktopBridge = {
    call: unused('call') as DesktopBridge['call'],
    openSpec: unused('openSpec') as DesktopBridge['openSpec'],
    chooseTrace: unused('chooseTrace') as DesktopBridge['chooseTrace'],
    saveFile: unused('saveFile') as DesktopBridge['saveFile'],
    savePdf: unused('savePdf') as DesktopBridge['savePdf'],
    onEvent: subscribe('onEvent') as DesktopBridge['onEvent'],
    onMenu: subscribe('onMenu') as DesktopBridge['onMenu'],
    onRunnerStatus: subscribe('onRunnerStatus') as DesktopBridge['onRunnerStatus'],
  };
  const emit = (member: string, ...args: unknown[]): void =>
    (listeners.get(member) as ((...a: unknown[]) => void) | undefined)?.(...args);
  return { bridge, used, listeners, emit };
}

function recordingHandlers() {
  const calls: [string, unknown][] = [];
  const handlers: DesktopHandlers = {
    openSpec: (spec) => calls.push(['openSpec', spec]),
    saveReport: () => calls.push(['saveReport', null]),
    databaseImported: (data) => calls.push(['databaseImported', data]),
    runnerNotice: (notice) => calls.push(['runnerNotice', notice]),
    unknown: (what) => calls.push(['unknown', what]),
  };
  return { calls, handlers };
}

describe('the renderer side (renderer/src/api/preload-transport.ts)', () => {
  it('subscribes with exactly the members it declares', () => {
    const { bridge, used, listeners } = fakeBridge();
    const offEvents = preloadTransport(bridge).subscribe(() => undefined);
    const offDesktop = subscribeDesktop(bridge, recordingHandlers().handlers);
    expect(used.sort()).toEqual([...SUBSCRIBED_MEMBERS].sort());
    offEvents();
    offDesktop();
    expect(listeners.size).toBe(0);
  });

  it('handles every menu command of the contract, and names the ones it does not know', () => {
    const { bridge, emit } = fakeBridge();
    const { calls, handlers } = recordingHandlers();
    subscribeDesktop(bridge, handlers);
    const spec = { path: '/specs/a.yaml', dir: '/specs', yaml: 'name: a\n' };
    const data: Record<(typeof MENU_COMMANDS)[number], unknown> = {
      'open-spec': spec,
      'save-report': null,
      'database-imported': { summary: {} },
    };
    for (const command of MENU_COMMANDS) emit('onMenu', command, data[command]);
    expect(calls).toEqual([
      ['openSpec', spec],
      ['saveReport', null],
      ['databaseImported', { summary: {} }],
    ]);
    calls.length = 0;
    emit('onMenu', 'export-all', null);
    emit('onMenu', 'open-spec', { path: 1 });
    emit('onMenu', 'constructor', null);
    expect(calls).toEqual([
      ['unknown', 'menu command "export-all"'],
      ['unknown', 'open-spec without a spec'],
      ['unknown', 'menu command "constructor"'],
    ]);
  });

  it('shows a runner crash, its giving up, and the restart after a crash; nothing else', () => {
    const { bridge, emit } = fakeBridge();
    const { calls, handlers } = recordingHandlers();
    subscribeDesktop(bridge, handlers);
    const status = (state: RunnerStatusIn['state'], message: string, restarts = 0): RunnerStatusIn => ({
      state,
      message,
      restarts,
    });
    emit('onRunnerStatus', status('running', 'the runner process started'));
    emit(
      'onRunnerStatus',
      status('restarting', 'the runner process was killed (SIGKILL); restarting in 0.5 s'),
    );
    emit('onRunnerStatus', status('running', 'the runner process restarted (1 restart)', 1));
    emit(
      'onRunnerStatus',
      status('restarting', 'the runner process exited with code 1; restarting in 1.0 s', 1),
    );
    emit('onRunnerStatus', status('failed', 'the runner process exited with code 1; it ended 5 times', 1));
    emit('onRunnerStatus', status('stopped', 'the runner process is stopped', 1));
    expect(calls.map(([, notice]) => notice)).toEqual([
      'The runner process stopped: the runner process was killed (SIGKILL); restarting in 0.5 s',
      'The runner process is back: the runner process restarted (1 restart). Calls in flight when it stopped failed; repeat them.',
      'The runner process stopped: the runner process exited with code 1; restarting in 1.0 s',
      'The runner process is down: the runner process exited with code 1; it ended 5 times',
    ]);
    // A page loaded after a restart hears `running` first: no notice.
    expect(
      runnerStatusNotice(null, status('running', 'the runner process restarted (3 restarts)', 3)),
    ).toBeNull();
  });
});
