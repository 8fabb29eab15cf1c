/**
 * Names of the IPC channels between the preload (preload.cts) and the main process. The
 * preload is a sandboxed script that cannot import this module, so it repeats the names;
 * test/e2e/electron/preload.test.ts checks that the compiled preload uses exactly these.
 */
export const IPC_CHANNELS = {
  /** invoke: one API operation `(op, input)` → ApiResult (relayed to the runner). */
  call: 'schedbench:call',
  /** invoke: the Open dialog for a sweep spec → SpecFile or null. */
  openSpec: 'schedbench:open-spec',
  /** invoke: the Open dialog for a trace to import → its path, or null. */
  chooseTrace: 'schedbench:choose-trace',
  /** invoke: the Save dialog for a text file (a report) → SaveResult. */
  saveFile: 'schedbench:save-file',
  /** invoke: print the sender's page to PDF, then the Save dialog → SaveResult. */
  savePdf: 'schedbench:save-pdf',
  /** main → renderer: a pushed API event `(event, data)`. */
  event: 'schedbench:event',
  /** main → renderer: a menu command `(command, data)`. */
  menu: 'schedbench:menu',
  /** main → renderer: the runner process's state (RunnerStatus). */
  runnerStatus: 'schedbench:runner-status',
} as const;

/** Channels the renderer may invoke. */
export const INVOKE_CHANNELS = [
  IPC_CHANNELS.call,
  IPC_CHANNELS.openSpec,
  IPC_CHANNELS.chooseTrace,
  IPC_CHANNELS.saveFile,
  IPC_CHANNELS.savePdf,
] as const;

/** Channels the main process sends on. */
export const PUSH_CHANNELS = [IPC_CHANNELS.event, IPC_CHANNELS.menu, IPC_CHANNELS.runnerStatus] as const;
