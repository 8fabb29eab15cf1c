/**
 * Text made safe for HTML element content and quoted attribute values: `& < > " '` become
 * character references, so user text (a spec name, an error message) can never open a tag.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * JSON text safe to place inside a `<script type="application/json">` element: every `<` is
 * written as the JSON escape `\u003c`, so neither `</script>` nor `<!--` can appear in it, and
 * U+2028/U+2029 are escaped too. `JSON.parse` of the element's text gives back the value.
 * NaN and infinities become `null`, as with JSON.stringify.
 *
 * @throws TypeError when `value` cannot be serialized (a BigInt, a cycle)
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('jsonForScript: value has no JSON form');
  return json
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
