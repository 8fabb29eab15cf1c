import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDatabasePath } from '../../../runner/store/default-database.js';

describe('default database location', () => {
  it('prefers $SCHEDBENCH_DB, then $XDG_DATA_HOME, then ~/.local/share', () => {
    expect(defaultDatabasePath({ SCHEDBENCH_DB: '/x/y.db', XDG_DATA_HOME: '/d' })).toBe('/x/y.db');
    expect(defaultDatabasePath({ XDG_DATA_HOME: '/d' })).toBe('/d/schedbench/schedbench.db');
    expect(defaultDatabasePath({})).toBe(join(homedir(), '.local/share/schedbench/schedbench.db'));
  });
});
