/** Small display helpers shared by error messages, the audit table and the demo. */

/** `0x1234…abcd`: the first 4 and last 4 hex digits of an address or hash. */
export function shortHex(value: string): string {
  return value.length <= 12 ? value : `${value.slice(0, 6)}…${value.slice(-4)}`;
}

/** A unix time in seconds as an ISO-8601 UTC string without milliseconds (`2026-01-31T12:00:00Z`). */
export function isoTime(seconds: number | bigint): string {
  const ms = Number(seconds) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `t=${seconds}`;
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** A duration in seconds as `1h 30m`, `45s`, `30d`. */
export function duration(seconds: number | bigint): string {
  let s = Number(seconds);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join(" ");
}

/** Render rows as a fixed-width text table with a header rule. Cells are used as given. */
export function textTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
