import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { externalLinkTarget } from '../../../electron/external-links.js';
import { HELP_LINKS, menuTemplate, type MenuActions } from '../../../electron/menu-template.js';

function actions(log: string[]): MenuActions {
  return {
    newSweep: () => log.push('newSweep'),
    openSpec: () => log.push('openSpec'),
    saveReport: () => log.push('saveReport'),
    importDatabase: () => log.push('importDatabase'),
    openLink: (url) => log.push(`openLink ${url}`),
    about: () => log.push('about'),
  };
}

function submenu(template: MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions[] {
  const menu = template.find((m) => m.label === label);
  expect(menu, label).toBeDefined();
  return menu!.submenu as MenuItemConstructorOptions[];
}

function click(item: MenuItemConstructorOptions | undefined): void {
  (item!.click as unknown as () => void)();
}

describe('menu template', () => {
  it('has File: New sweep, Open spec, Save report, Import database, Quit, each wired', () => {
    const log: string[] = [];
    const file = submenu(menuTemplate(actions(log), { isPackaged: true }), '&File');
    const labelled = file.filter((i) => i.label);
    expect(labelled.map((i) => i.label)).toEqual([
      'New sweep…',
      'Open spec…',
      'Save report…',
      'Import database…',
    ]);
    for (const item of labelled) click(item);
    expect(log).toEqual(['newSweep', 'openSpec', 'saveReport', 'importDatabase']);
    expect(file.at(-1)!.role).toBe('quit');
  });

  it('offers developer tools only in development', () => {
    const roles = (isPackaged: boolean) =>
      submenu(menuTemplate(actions([]), { isPackaged }), '&View').map((i) => i.role);
    expect(roles(true)).not.toContain('toggleDevTools');
    expect(roles(false)).toContain('toggleDevTools');
  });

  it('has Help links that all pass the external-link allowlist', () => {
    const log: string[] = [];
    const help = submenu(menuTemplate(actions(log), { isPackaged: true }), '&Help');
    for (const { url } of HELP_LINKS) expect(externalLinkTarget(url), url).toBe(url);
    for (const item of help.filter((i) => i.label)) click(item);
    expect(log).toEqual([...HELP_LINKS.map(({ url }) => `openLink ${url}`), 'about']);
  });
});
