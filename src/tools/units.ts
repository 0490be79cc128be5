/** Parse a byte size such as `1048576`, `500k`, `100MB`, `1.5GiB` (k/M/G/T are powers of 1024). */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const pow = unit === '' ? 0 : 'kmgt'.indexOf(unit) + 1;
  return Math.floor(Number(m[1]) * Math.pow(1024, pow));
}

/** `1234567` -> `1,234,567` */
export function thousands(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Seconds -> `1:02:03` or `2:03` */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(r).padStart(2, '0')}`;
}

/** Bytes -> `12.3 MB` (powers of 1024) */
export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? String(v) : v.toFixed(1)} ${units[i]!}`;
}
