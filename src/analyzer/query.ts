/**
 * Query definitions: group-by dimensions, filters and ordering, plus their parsers.
 * A filter is a conjunction of comparisons on the parsed fields with Spark's null semantics
 * (a comparison with null is not true, so the row is filtered out).
 */
import { FIELD_NAMES, INT_FIELDS, type FieldName, type ParsedLine } from './parse.js';

export type DimValue = string | number | null;

export interface OrderKey {
  /** `window`, `count` (the count column, whatever its name), or a group-by field. */
  column: 'window' | 'count' | FieldName;
  desc: boolean;
}

export interface QuerySpec {
  name: string;
  groupBy: FieldName[];
  /** The filter text as configured ('' = none). */
  filterText: string;
  filter: ((p: ParsedLine) => boolean) | null;
  /** Fields the filter reads. */
  filterFields: FieldName[];
  orderBy: OrderKey[];
  countColumn: string;
}

/** The seed job's six queries (log_analysis.py), used when a listed query has no groupBy/filter/orderBy keys. */
export const SEED_QUERIES: Record<string, { groupBy: string; filter: string; orderBy: string; countColumn: string }> = {
  total_requests: { groupBy: '', filter: '', orderBy: 'window desc', countColumn: 'total_requests' },
  status_distribution: { groupBy: 'status', filter: '', orderBy: 'window desc, status asc', countColumn: 'count' },
  endpoint_traffic: { groupBy: 'endpoint', filter: '', orderBy: 'window desc, count desc', countColumn: 'count' },
  method_distribution: { groupBy: 'method', filter: '', orderBy: 'window desc, count desc', countColumn: 'count' },
  ip_traffic: { groupBy: 'ip', filter: '', orderBy: 'window desc, count desc', countColumn: 'count' },
  error_rates: { groupBy: 'status', filter: 'status >= 400', orderBy: 'window desc, status asc', countColumn: 'count' },
};

function isField(s: string): s is FieldName {
  return (FIELD_NAMES as readonly string[]).includes(s);
}

export function parseGroupBy(text: string): FieldName[] {
  const out: FieldName[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    if (!isField(part)) throw new Error(`unknown field "${part}"; fields are ${FIELD_NAMES.join(', ')}`);
    if (out.includes(part)) throw new Error(`field "${part}" is listed twice`);
    out.push(part);
  }
  return out;
}

export function parseOrderBy(text: string, groupBy: readonly FieldName[]): OrderKey[] {
  const out: OrderKey[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\w+)(?:\s+(asc|desc))?$/i.exec(raw);
    if (!m) throw new Error(`cannot read order key "${raw}"; write "<column> [asc|desc]"`);
    const col = m[1]!;
    const desc = (m[2] ?? 'asc').toLowerCase() === 'desc';
    if (col === 'window' || col === 'count') out.push({ column: col, desc });
    else if (isField(col) && groupBy.includes(col)) out.push({ column: col, desc });
    else throw new Error(`cannot order by "${col}": use window, count, or a group-by field (${groupBy.join(', ') || 'none'})`);
  }
  return out;
}

type Lit = { kind: 'int'; v: number } | { kind: 'str'; v: string };

/** Code-point (= UTF-8 byte) order, as Spark compares strings. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (D800-DFFF) encode code points above FFFF: move them above E000-FFFF.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/**
 * Parses `status >= 400 and method = 'GET'`. Comparisons: = == != <> < <= > >=, `is null`,
 * `is not null`, `in (a, b, ...)`. Integer fields (status, bytes) take integer literals, the
 * others quoted strings.
 */
export function parseFilter(text: string): { fn: ((p: ParsedLine) => boolean) | null; fields: FieldName[] } {
  const t = text.trim();
  if (t === '') return { fn: null, fields: [] };
  const parts = t.split(/\s+and\s+/i);
  const preds: Array<(p: ParsedLine) => boolean> = [];
  const fields: FieldName[] = [];
  for (const part of parts) {
    const m = /^(\w+)\s*(?:(==|=|!=|<>|<=|>=|<|>)\s*(.+)|is\s+(not\s+)?null|(not\s+)?in\s*\((.*)\))$/is.exec(part.trim());
    if (!m) throw new Error(`cannot read condition "${part.trim()}"; write e.g. "status >= 400" or "method = 'GET'"`);
    const field = m[1]!;
    if (!isField(field)) throw new Error(`unknown field "${field}" in condition "${part.trim()}"; fields are ${FIELD_NAMES.join(', ')}`);
    if (!fields.includes(field)) fields.push(field);
    const isInt = INT_FIELDS.has(field);
    const lit = (s: string): Lit => {
      const v = s.trim();
      const q = /^'(.*)'$|^"(.*)"$/s.exec(v);
      if (q) {
        if (isInt) throw new Error(`field "${field}" is an integer; compare it with a number, not ${v}`);
        return { kind: 'str', v: q[1] ?? q[2] ?? '' };
      }
      if (/^-?\d+$/.test(v)) {
        if (!isInt) throw new Error(`field "${field}" is a string; quote the value: '${v}'`);
        return { kind: 'int', v: Number(v) };
      }
      throw new Error(`cannot read value ${v} in condition "${part.trim()}"; quote strings ('GET'), write integers as digits`);
    };
    const get = (p: ParsedLine): DimValue => p[field];
    if (m[2] !== undefined) {
      const op = m[2];
      const l = lit(m[3]!);
      if (l.kind === 'int') {
        // The usual filter (status >= 400): one direct comparison per row.
        preds.push(intPredicate(field as 'status' | 'bytes', op, l.v));
        continue;
      }
      const sv = l.v;
      const cmp = (v: DimValue): number | null => (v === null ? null : compareStrings(v as string, sv));
      const test: (c: number) => boolean =
        op === '=' || op === '==' ? (c) => c === 0
        : op === '!=' || op === '<>' ? (c) => c !== 0
        : op === '<' ? (c) => c < 0
        : op === '<=' ? (c) => c <= 0
        : op === '>' ? (c) => c > 0
        : (c) => c >= 0;
      preds.push((p) => {
        const c = cmp(get(p));
        return c !== null && test(c);
      });
    } else if (m[6] !== undefined) {
      const negate = m[5] !== undefined;
      const items = splitList(m[6]).map(lit);
      const set = new Set<DimValue>(items.map((x) => x.v));
      preds.push((p) => {
        const v = get(p);
        return v !== null && set.has(v) !== negate;
      });
    } else {
      const notNull = m[4] !== undefined;
      preds.push((p) => (get(p) === null) !== notNull);
    }
  }
  const fn = preds.length === 1 ? preds[0]! : (p: ParsedLine): boolean => {
    for (let i = 0; i < preds.length; i++) if (!preds[i]!(p)) return false;
    return true;
  };
  return { fn, fields };
}

/** `field op v` for an integer field (null is never true, as in Spark). */
function intPredicate(field: 'status' | 'bytes', op: string, v: number): (p: ParsedLine) => boolean {
  const pick = field === 'status' ? (p: ParsedLine): number | null => p.status : (p: ParsedLine): number | null => p.bytes;
  switch (op) {
    case '=': case '==': return (p) => { const x = pick(p); return x !== null && x === v; };
    case '!=': case '<>': return (p) => { const x = pick(p); return x !== null && x !== v; };
    case '<': return (p) => { const x = pick(p); return x !== null && x < v; };
    case '<=': return (p) => { const x = pick(p); return x !== null && x <= v; };
    case '>': return (p) => { const x = pick(p); return x !== null && x > v; };
    default: return (p) => { const x = pick(p); return x !== null && x >= v; };
  }
}

function splitList(s: string): string[] {
  const out: string[] = [];
  const re = /\s*('(?:[^']*)'|"(?:[^"]*)"|[^,]+?)\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < s.length && (m = re.exec(s)) !== null) {
    out.push(m[1]!);
    if (m[0] === '') break;
  }
  if (out.length === 0) throw new Error('an "in (...)" list needs at least one value');
  return out;
}
