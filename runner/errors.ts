/**
 * Errors a user can fix by changing their input: a spec, a trace file, a CLI argument, a
 * database path. The message names the file and the line or field. The CLI prints it and exits
 * with code 2, and nothing is stored for the sweep that caused it.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  /**
   * @param message complete, user-facing message, already naming the file and line or field
   * @param location where the problem is, for programmatic use (UI highlighting)
   */
  constructor(
    message: string,
    readonly location: { file?: string; line?: number; field?: string } = {},
  ) {
    super(message);
  }
}

/** Builds the conventional `file:line: message` prefix used by every input error. */
export function atLocation(file: string, line: number | undefined, message: string): string {
  return line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`;
}
