/**
 * Spark's console sink output, byte for byte:
 *
 *   -------------------------------------------
 *   Batch: N
 *   -------------------------------------------
 *   <Dataset.showString(numRows, truncate)>
 *   <empty line: show() prints the table with println>
 *
 * showString facts (Spark 3.x Dataset.showString / getRows): every cell is cast to string
 * (null -> "null"); with truncate > 0 a cell longer than `truncate` UTF-16 units becomes its
 * first truncate-3 units + "..." (first `truncate` units when truncate < 4); column widths are
 * max(3, Utils.stringHalfWidth(cell)) over the header and the shown rows, where
 * stringHalfWidth = UTF-16 length + number of "full width" chars (the fixed ranges below);
 * cells are right-aligned when truncate > 0 and left-aligned when truncate = 0; borders are
 * `+---+`; when there were more rows than numRows, the footer
 * `only showing top N rows` (`row` when N is 1) follows the table.
 * Since Spark 3.4 header and cells also go through SchemaUtils.escapeMetaCharacters (\n, \r,
 * \t, \f, \b, \v, \a become backslash escapes); Spark 3.0 to 3.3 print them raw.
 * A struct (the window) is cast as `[start, end]` in Spark 3.0 and `{start, end}` from 3.1.
 */

export type ConsoleFormat = 'spark3.0' | 'spark3.1' | 'spark3.5';
export const CONSOLE_FORMATS: readonly ConsoleFormat[] = ['spark3.0', 'spark3.1', 'spark3.5'];

export interface ShowOptions {
  numRows: number;
  /** 0 = no truncation (truncate=false); Spark's truncate=true is 20. */
  truncate: number;
  format: ConsoleFormat;
}

const FULL_WIDTH = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE10-\uFE19\uFE30-\uFE6F\uFF00-\uFF60\uFFE0-\uFFE6]/g;
const NON_ASCII = /[^\x00-\x7F]/;

/** Spark's Utils.stringHalfWidth. */
export function stringHalfWidth(s: string): number {
  if (!NON_ASCII.test(s)) return s.length;
  const m = s.match(FULL_WIDTH);
  return s.length + (m ? m.length : 0);
}

const META = /[\n\r\t\f\b\x0B\x07]/;
/** Spark's SchemaUtils.escapeMetaCharacters (3.4+). */
export function escapeMetaCharacters(s: string): string {
  if (!META.test(s)) return s;
  return s.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\f/g, '\\f')
    .replace(/\x08/g, '\\b').replace(/\x0B/g, '\\v').replace(/\x07/g, '\\a');
}

/**
 * Dataset.showString for already stringified cells. `rows` may hold more than numRows rows:
 * the extra ones only tell that the footer is needed (Spark takes numRows + 1).
 */
export function showString(header: readonly string[], rows: ReadonlyArray<readonly (string | null)[]>, opts: ShowOptions): string {
  const numRows = Math.max(0, opts.numRows);
  const hasMoreData = rows.length > numRows;
  const escape = opts.format === 'spark3.5';
  const fix = (c: string | null): string => {
    let s = c === null ? 'null' : escape ? escapeMetaCharacters(c) : c;
    const t = opts.truncate;
    if (t > 0 && s.length > t) s = t < 4 ? s.slice(0, t) : s.slice(0, t - 3) + '...';
    return s;
  };
  const table: string[][] = [header.map((h) => (escape ? escapeMetaCharacters(h) : h))];
  const shown = Math.min(numRows, rows.length);
  for (let r = 0; r < shown; r++) table.push(rows[r]!.map(fix));
  const widths = header.map(() => 3);
  const halfWidths = table.map((row) => row.map((cell, i) => {
    const w = stringHalfWidth(cell);
    if (w > widths[i]!) widths[i] = w;
    return w;
  }));
  const sep = '+' + widths.map((w) => '-'.repeat(w)).join('+') + '+\n';
  let out = sep;
  for (let r = 0; r < table.length; r++) {
    const row = table[r]!;
    let line = '|';
    for (let i = 0; i < row.length; i++) {
      const pad = ' '.repeat(Math.max(0, widths[i]! - halfWidths[r]![i]!));
      line += (opts.truncate > 0 ? pad + row[i] : row[i] + pad) + '|';
    }
    out += line + '\n';
    if (r === 0) out += sep;
  }
  out += sep;
  if (hasMoreData) out += `only showing top ${numRows} ${numRows === 1 ? 'row' : 'rows'}\n`;
  return out;
}

const DASHES = '-------------------------------------------\n';

/** The console sink's banner + table + the blank line println adds. */
export function consoleBatch(batchId: number, header: readonly string[], rows: ReadonlyArray<readonly (string | null)[]>, opts: ShowOptions): string {
  return `${DASHES}Batch: ${batchId}\n${DASHES}${showString(header, rows, opts)}\n`;
}

/** A window struct cast to string. */
export function windowCell(start: string, end: string, format: ConsoleFormat): string {
  return format === 'spark3.0' ? `[${start}, ${end}]` : `{${start}, ${end}}`;
}
