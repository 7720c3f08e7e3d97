/** Small DOM helpers: elements from tag, attributes and children, and the page's message area. */

export type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** `document.createElement(tag)` with attributes (`on…` become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/** A table with a caption, header row and body rows. */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly Child[][],
): HTMLElement {
  if (rows.length === 0) return h("p", { class: "empty" }, `${caption}: none.`);
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
  );
}

/** Message kinds of the status area. */
export type Tone = "info" | "ok" | "error";

/** Show `text` in the page's status area (`#status`, an ARIA live region). */
export function say(text: string, tone: Tone = "info"): void {
  const status = document.getElementById("status");
  if (status === null) return;
  status.className = `status ${tone}`;
  status.setAttribute("role", tone === "error" ? "alert" : "status");
  status.textContent = text;
}

/** `0x1234…abcd`. */
export function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** A unix time as `YYYY-MM-DD HH:MM:SS UTC`. */
export function when(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

/** Run `action` with `button` disabled, reporting a failure through `onError`. */
export async function busy(
  button: HTMLButtonElement,
  action: () => Promise<void>,
  onError: (error: unknown) => void,
): Promise<void> {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await action();
  } catch (error) {
    onError(error);
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
