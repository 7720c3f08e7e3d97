/** Plain-text tables for the terminal: a title, a header, right-aligned numbers. */

export interface Column {
  readonly header: string;
  /** Default: right for every column but the first. */
  readonly align?: "left" | "right";
}

export function renderTable(
  title: string,
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)),
  );
  const cell = (text: string, i: number): string => {
    const align = columns[i]?.align ?? (i === 0 ? "left" : "right");
    const w = widths[i] ?? 0;
    return align === "left" ? text.padEnd(w) : text.padStart(w);
  };
  const line = (cells: readonly string[]): string => `│ ${cells.map(cell).join(" │ ")} │`;
  const rule = (l: string, m: string, r: string): string =>
    `${l}${widths.map((w) => "─".repeat(w + 2)).join(m)}${r}`;
  return [
    title,
    rule("┌", "┬", "┐"),
    line(columns.map((c) => c.header)),
    rule("├", "┼", "┤"),
    ...rows.map(line),
    rule("└", "┴", "┘"),
  ].join("\n");
}

/** 53,226 */
export function gasText(gas: number): string {
  return Math.round(gas).toLocaleString("en-US");
}

/** +0.12 % / −1.50 % */
export function percentText(fraction: number, digits = 2): string {
  const sign = fraction > 0 ? "+" : fraction < 0 ? "−" : "±";
  return `${sign}${Math.abs(fraction * 100).toFixed(digits)} %`;
}
