/**
 * Process-tree sampling from /proc (Linux): peak RSS (VmHWM, the kernel's own high-water mark,
 * so sampling only has to see the process alive once) and CPU seconds (utime + stime) of every
 * descendant of a pid, classified by command line. Used by the bench harness to measure agents
 * that scenario scripts start as their own children.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const TICKS = 100; // USER_HZ on Linux

/** { rssMB, cpuSec } of one pid, or null when it is gone. */
export function procStats(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rssMB: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024, cpuSec: (Number(f[11]) + Number(f[12])) / TICKS, ppid: Number(f[1]) };
  } catch {
    return null;
  }
}

function children() {
  const map = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!map.has(ppid)) map.set(ppid, []);
      map.get(ppid).push(Number(d));
    } catch { /* exited */ }
  }
  return map;
}

export function descendants(pid) {
  const map = children();
  const out = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    for (const c of map.get(p) ?? []) { out.push(c); stack.push(c); }
  }
  return out;
}

/** Which side a command line belongs to: 'flume' | 'tsagent' | 'pyspark' | undefined. */
export function classify(cmdline) {
  if (/org\.apache\.flume\.node\.Application/.test(cmdline)) return 'flume';
  if (/bin\/tsagent\.js/.test(cmdline)) return 'tsagent';
  if (/pyspark|spark_job\.py|org\.apache\.spark/.test(cmdline)) return 'pyspark';
  return undefined;
}

/**
 * Samples every `everyMs` the descendants of `rootPid`; `stop()` returns one record per process
 * seen: { pid, side, cmd, rssMB (peak), cpuSec (last seen), firstSeen, lastSeen }.
 */
export function sampleTree(rootPid, everyMs = 200) {
  const seen = new Map();
  const tick = () => {
    for (const pid of descendants(rootPid)) {
      const s = procStats(pid);
      if (!s) continue;
      let r = seen.get(pid);
      if (!r) {
        let cmd = '';
        try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { continue; }
        r = { pid, side: classify(cmd), cmd: cmd.slice(0, 300), rssMB: 0, cpuSec: 0, firstSeen: Date.now(), lastSeen: 0 };
        seen.set(pid, r);
      }
      // a process that exec()s (flume.sh -> java) changes its command line: re-read until classified
      if (!r.side) {
        try { const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); r.cmd = cmd.slice(0, 300); r.side = classify(cmd); } catch { /* gone */ }
      }
      r.rssMB = Math.max(r.rssMB, s.rssMB);
      r.cpuSec = Math.max(r.cpuSec, s.cpuSec);
      r.lastSeen = Date.now();
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() { clearInterval(timer); tick(); return [...seen.values()]; },
  };
}

export const load = () => loadavg().map((x) => Number(x.toFixed(2)));
