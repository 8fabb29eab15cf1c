/** A child of {@link h}: nodes, text, or nothing (null, undefined, false are skipped). */
export type Child = Node | string | number | null | undefined | false;

/** Attributes of {@link h}: `on*` functions become listeners; `true` sets a boolean attribute. */
export type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/**
 * Creates an element: `h('button', { class: 'secondary', onclick: go }, 'Compare')`. Attribute
 * values are set with setAttribute (never parsed as HTML); children are appended in order.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      element.addEventListener(name.replace(/^on/, ''), value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, ...children);
  return element;
}

/** Appends children (see {@link Child}) to `parent`. */
export function append(parent: Node, ...children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Escapes text for HTML built as a string (large tables, where one innerHTML beats many nodes). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Replaces the children of `parent` (see {@link Child}: nothing-values are skipped). */
export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}
