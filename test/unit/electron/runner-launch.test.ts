import { describe, expect, it } from 'vitest';
import { databaseArgument, runnerLaunchPlan, systemNodePath } from '../../../electron/runner-launch.js';

describe('runner launch plan', () => {
  const base = { electronDir: '/app/dist/electron', databasePath: '/data/schedbench.db' };

  it('uses the system Node in development, without Electron-as-Node variables', () => {
    const plan = runnerLaunchPlan({
      ...base,
      isPackaged: false,
      env: { PATH: '/usr/bin', ELECTRON_RUN_AS_NODE: '1', npm_node_execpath: '/usr/local/bin/node' },
    });
    expect(plan).toEqual({
      kind: 'node',
      modulePath: '/app/dist/runner/api/runner-process.js',
      args: ['--db', '/data/schedbench.db'],
      execPath: '/usr/local/bin/node',
      env: { PATH: '/usr/bin', npm_node_execpath: '/usr/local/bin/node' },
    });
  });

  it('uses a utility process when packaged', () => {
    const plan = runnerLaunchPlan({ ...base, isPackaged: true, env: {} });
    expect(plan.kind).toBe('utility-process');
    expect(plan.execPath).toBeNull();
    expect(plan.args).toEqual(['--db', '/data/schedbench.db']);
  });

  it('finds the Node binary: $SCHEDBENCH_NODE, then npm’s Node, then node on the PATH', () => {
    expect(systemNodePath({ SCHEDBENCH_NODE: '/opt/node', npm_node_execpath: '/x' })).toBe('/opt/node');
    expect(systemNodePath({ npm_node_execpath: '/x' })).toBe('/x');
    expect(systemNodePath({})).toBe('node');
  });

  it('reads --db FILE and --db=FILE', () => {
    expect(databaseArgument(['/usr/bin/electron', '.', '--db', '/tmp/a.db'])).toBe('/tmp/a.db');
    expect(databaseArgument(['/opt/Schedbench/schedbench', '--db=/tmp/b.db'])).toBe('/tmp/b.db');
    expect(databaseArgument(['/usr/bin/electron', '.', '--db'])).toBeUndefined();
    expect(databaseArgument(['/usr/bin/electron', '.'])).toBeUndefined();
  });
});
