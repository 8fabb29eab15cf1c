import type { MenuItemConstructorOptions } from 'electron';

/**
 * The native menu (main.ts builds it with `Menu.buildFromTemplate`). File: New sweep…, Open
 * spec…, Save report…, Import database…, Quit; Edit (so text fields get the usual shortcuts);
 * View; Help with links. What each item does is injected, so the template is tested without
 * Electron.
 */

/** What the menu items do. */
export interface MenuActions {
  newSweep(): void;
  openSpec(): void;
  saveReport(): void;
  importDatabase(): void;
  /** Opens a Help link (main.ts checks it against the external-link allowlist first). */
  openLink(url: string): void;
  about(): void;
}

/** Links of the Help menu (every one passes external-links.ts). */
export const HELP_LINKS: readonly { label: string; url: string }[] = [
  {
    label: 'Paper: Fluid-Guided Online Scheduling with Memory Constraints (arXiv)',
    url: 'https://arxiv.org/abs/2504.11320',
  },
  { label: 'vLLM documentation', url: 'https://docs.vllm.ai/' },
  { label: 'Vidur simulator (GitHub)', url: 'https://github.com/microsoft/vidur' },
  { label: 'Sarathi-Serve (GitHub)', url: 'https://github.com/microsoft/sarathi-serve' },
];

/**
 * The menu template.
 * @param actions what the items do
 * @param options `isPackaged`: developer tools only in development
 */
export function menuTemplate(
  actions: MenuActions,
  options: { isPackaged: boolean },
): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    ...(options.isPackaged
      ? []
      : ([{ role: 'forceReload' }, { role: 'toggleDevTools' }] as MenuItemConstructorOptions[])),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    {
      label: '&File',
      submenu: [
        { label: 'New sweep…', accelerator: 'CmdOrCtrl+N', click: () => actions.newSweep() },
        { label: 'Open spec…', accelerator: 'CmdOrCtrl+O', click: () => actions.openSpec() },
        { label: 'Save report…', accelerator: 'CmdOrCtrl+S', click: () => actions.saveReport() },
        { type: 'separator' },
        { label: 'Import database…', click: () => actions.importDatabase() },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    { label: '&View', submenu: view },
    {
      label: '&Help',
      submenu: [
        ...HELP_LINKS.map(({ label, url }): MenuItemConstructorOptions => ({
          label,
          click: () => actions.openLink(url),
        })),
        { type: 'separator' },
        { label: 'About Schedbench', click: () => actions.about() },
      ],
    },
  ];
}
