import { parseUrl } from './app-origin.js';

/**
 * Which links the app opens in the user's browser (`shell.openExternal`): https only, on a fixed
 * list of hosts, nothing else.
 *
 * Source: Electron security checklist, item 15 "Do not use shell.openExternal with untrusted
 * content" (https://www.electronjs.org/docs/latest/tutorial/security#15-do-not-use-shellopenexternal-with-untrusted-content):
 * `openExternal` hands the string to the desktop's URL handler (xdg-open), which would run
 * `file:`, `smb:` or a custom scheme's handler as readily as a web page.
 *
 * The check parses the URL with the WHATWG parser and compares parts, never substrings, so
 * `https://arxiv.org.evil.com/`, `https://arxiv.org@evil.com/` (user info: the host is
 * `evil.com`) and `https://evil.com/arxiv.org` are refused. What is opened is the parser's
 * re-serialisation of the URL, so the handler sees the same URL this check saw.
 */

/** Hosts whose pages may be opened: the paper, the projects the docs cite, their docs. */
export const EXTERNAL_LINK_HOSTS: readonly string[] = [
  'arxiv.org',
  'www.arxiv.org',
  'github.com',
  'docs.vllm.ai',
];

/** Longest URL accepted (longer ones are not links a person clicked). */
const MAX_URL_LENGTH = 2048;

/**
 * The URL to open for a link, or null when it must not be opened.
 * @param url the link as the page or the menu gave it
 * @returns the normalised URL (`new URL(url).href`) when it is `https:` on a listed host, with
 *   no user name, password or explicit port; otherwise null
 */
export function externalLinkTarget(url: unknown): string | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) return null;
  // Whitespace and control characters are stripped or kept differently by other URL parsers.
  if (/\s/.test(url) || [...url].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return null;
  const parsed = parseUrl(url);
  if (!parsed) return null;
  if (parsed.protocol !== 'https:') return null;
  if (parsed.username !== '' || parsed.password !== '' || parsed.port !== '') return null;
  if (!EXTERNAL_LINK_HOSTS.includes(parsed.hostname)) return null;
  return parsed.href;
}
