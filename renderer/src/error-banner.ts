import { ApiError } from './api-client.js';
import { h } from './dom.js';

/** Most messages kept in the banner; older ones are dropped. */
const MAX_MESSAGES = 5;

/**
 * The visible banner of failures: every error of an API call (or of the page) is shown here
 * with its message, never swallowed; so is the desktop app's runner process stopping or coming
 * back. Messages stay until dismissed.
 */
export class ErrorBanner {
  private readonly list: HTMLUListElement;

  constructor(private readonly root: HTMLElement) {
    this.list = h('ul');
    root.replaceChildren(
      h(
        'div',
        { class: 'banner-head' },
        h('strong', {}, 'Something went wrong'),
        h(
          'button',
          {
            class: 'secondary outline banner-close',
            type: 'button',
            'aria-label': 'Dismiss',
            onclick: () => this.clear(),
          },
          'Dismiss',
        ),
      ),
      this.list,
    );
  }

  /** Shows an error: an ApiError with its code, line and field, anything else as text. */
  show(error: unknown, context?: string): void {
    const text = describeError(error);
    this.add(context ? `${context}: ${text}` : text, error instanceof ApiError ? error.code : 'error');
  }

  /**
   * Shows a message that is not an error of the page, marked with its own code: `runner` for the
   * desktop app's runner process stopping, given up on, or back (renderer/src/main.ts).
   */
  notice(message: string, code: string): void {
    this.add(message, code);
  }

  private add(message: string, code: string): void {
    // The same message twice in a row (say, a retried call) is shown once.
    if (this.list.lastElementChild?.textContent === message) return;
    this.list.appendChild(h('li', { 'data-code': code }, message));
    while (this.list.children.length > MAX_MESSAGES) this.list.firstElementChild?.remove();
    this.root.hidden = false;
  }

  /** Hides the banner and forgets its messages. */
  clear(): void {
    this.list.replaceChildren();
    this.root.hidden = true;
  }
}

/** One line for an error: `[code] message (line N, field F)` for an ApiError. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const where = [
      error.line !== undefined ? `line ${error.line}` : '',
      error.field ? `field ${error.field}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return `[${error.code}] ${error.message}${where ? ` (${where})` : ''}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
