import type { z } from 'zod';
import {
  isApiOp,
  parseApiInput,
  type ApiErrorOut,
  type ApiInput,
  type ApiOp,
} from '../runner/api/api-contract.js';
import { APP_ORIGIN, isAppUrl } from './app-origin.js';
import { DESKTOP_INPUTS, type DesktopChannel, type DesktopInput } from './desktop-bridge.js';

/**
 * The main process's check of every IPC call from a renderer, before anything runs.
 *
 * Sources: Electron security checklist, item 17 "Validate the sender of all IPC messages"
 * (https://www.electronjs.org/docs/latest/tutorial/security#17-validate-the-sender-of-all-ipc-messages),
 * and the contract's own validation (runner/api/api-contract.ts, parseApiInput). A call is
 * accepted only when:
 * 1. the sender frame's URL is on the app's origin (`app://schedbench`, app-origin.ts): a page
 *    that somehow got into the window (a navigation that slipped through, an injected frame)
 *    cannot drive the runner;
 * 2. the sender is the main frame: the app has no iframes, so a subframe is never the app;
 * 3. the operation is one of the contract's (`isApiOp`);
 * 4. the input passes the operation's zod schema (strict: unknown fields refused).
 * The runner validates again; this keeps garbage from ever crossing the process boundary.
 */

/** What the guard needs to know about the sender (from `event.senderFrame` in main.ts). */
export interface IpcSender {
  /** URL of the frame that sent the message; null when the frame is gone (navigated or closed). */
  frameUrl: string | null | undefined;
  /** Whether that frame is its page's top frame (`senderFrame.parent === null`). */
  isMainFrame: boolean;
}

/** An accepted API call: the operation and its validated input (defaults applied). */
export type GuardedApiCall =
  { ok: true; op: ApiOp; input: ApiInput<ApiOp> } | { ok: false; error: ApiErrorOut };

/** Why a sender is refused, or null when it is the app's main frame. */
export function senderRefusal(sender: IpcSender): string | null {
  if (!sender.frameUrl) return 'the sending frame is gone';
  if (!isAppUrl(sender.frameUrl)) return `the sender is not the app (${APP_ORIGIN})`;
  if (!sender.isMainFrame) return 'the sender is a subframe, not the app';
  return null;
}

/**
 * Checks one `schedbench:call` message.
 * @param sender the sending frame
 * @param op the operation name as received (anything)
 * @param input the input as received (anything)
 * @returns the typed request, or the ApiErrorOut to answer with: `bad-input` for a refused
 *   sender or an invalid input (naming the field), `not-found` for an unknown operation (as
 *   the runner and `schedbench serve` answer)
 */
export function guardApiCall(sender: IpcSender, op: unknown, input: unknown): GuardedApiCall {
  const refusal = senderRefusal(sender);
  if (refusal) return { ok: false, error: { code: 'bad-input', message: `IPC refused: ${refusal}` } };
  if (!isApiOp(op)) {
    const name = typeof op === 'string' ? op.slice(0, 100) : typeof op;
    return { ok: false, error: { code: 'not-found', message: `unknown API operation "${name}"` } };
  }
  const parsed = parseApiInput(op, input);
  if (!parsed.ok) return parsed;
  return { ok: true, op, input: parsed.value };
}

/**
 * Checks one call on a desktop-only channel (dialogs, PDF; desktop-bridge.ts).
 * @returns the validated input, or the reason it is refused (main.ts rejects the invoke with it)
 */
export function guardDesktopCall<C extends DesktopChannel>(
  sender: IpcSender,
  channel: C,
  input: unknown,
): { ok: true; input: DesktopInput<C> } | { ok: false; error: ApiErrorOut } {
  const refusal = senderRefusal(sender);
  if (refusal) return { ok: false, error: { code: 'bad-input', message: `IPC refused: ${refusal}` } };
  const schema = DESKTOP_INPUTS[channel] as z.ZodType;
  const result = schema.safeParse(input ?? {});
  if (result.success) return { ok: true, input: result.data as DesktopInput<C> };
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  return {
    ok: false,
    error: {
      code: 'bad-input',
      message: `${channel}: ${field ? `${field}: ` : ''}${issue.message}`,
      ...(field ? { field } : {}),
    },
  };
}
