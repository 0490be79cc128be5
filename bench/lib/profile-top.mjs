#!/usr/bin/env node
/**
 * Top functions by self time (and by inclusive time) in a V8 .cpuprofile (node --cpu-prof).
 *   node bench/lib/profile-top.mjs <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) { console.error('usage: node bench/lib/profile-top.mjs <file.cpuprofile> [top]'); process.exit(2); }
const top = Number(topArg ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map();
for (const s of p.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const total = p.samples.length;
const key = (n) => {
  const f = n.callFrame;
  const url = f.url.replace(/^file:\/\//, '').replace(/.*\/(dist|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim();
};
const self = new Map(); const incl = new Map();
for (const [id, h] of hits) {
  const n = byId.get(id);
  self.set(key(n), (self.get(key(n)) ?? 0) + h);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + h);
  }
}
const pct = (h) => `${((h / total) * 100).toFixed(1).padStart(5)} %`;
const idle = ['(idle)', '(program)', '(garbage collector)'].map((k) => self.get(k) ?? 0);
console.log(`${file}: ${total} samples, ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s; idle ${pct(idle[0])}, program ${pct(idle[1])}, GC ${pct(idle[2])}`);
console.log('\nself time:');
for (const [k, h] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(h)}  ${k}`);
console.log('\ninclusive time (excluding roots):');
for (const [k, h] of [...incl].filter(([k]) => !/^\(root\)/.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(h)}  ${k}`);
