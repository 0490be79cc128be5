/**
 * Plugin directories (like Flume's plugins.d): every sub-directory (or .js/.mjs file) of a
 * plugin directory is a module whose exports include component declarations
 * (defineSource/defineSink/defineChannel/defineInterceptor). They are registered under their
 * `type` and `aliases`, exactly like built-ins.
 */
import { register } from 'node:module';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ComponentSpec } from '../core/spec.js';
import type { Logger } from '../core/logger.js';
import type { Registry } from './registry.js';

function isSpec(x: unknown): x is ComponentSpec {
  return typeof x === 'object' && x !== null && typeof (x as ComponentSpec).kind === 'string' &&
    typeof (x as ComponentSpec).type === 'string' && typeof (x as ComponentSpec).create === 'function';
}

async function entryOf(p: string): Promise<string | undefined> {
  const st = await stat(p);
  if (st.isFile()) return /\.(m?js)$/.test(p) ? p : undefined;
  try {
    const pkg = JSON.parse(await readFile(path.join(p, 'package.json'), 'utf8')) as { main?: string; exports?: unknown };
    if (pkg.main) return path.join(p, pkg.main);
  } catch { /* no package.json */ }
  for (const f of ['index.js', 'index.mjs', 'dist/index.js']) {
    try { await stat(path.join(p, f)); return path.join(p, f); } catch { /* next */ }
  }
  return undefined;
}

let hooked = false;
/** Lets plugins import 'tsagent/sdk' without installing it (resolves to this runtime's SDK). */
export function installSdkResolver(): void {
  if (hooked || !import.meta.url.endsWith('.js')) return; // under vitest the alias does it
  hooked = true;
  register(new URL('./sdk-hook.js', import.meta.url));
}

/** Loads every plugin in `dirs`; returns one message per plugin that failed. */
export async function loadPluginDirs(registry: Registry, dirs: readonly string[], log?: Logger): Promise<string[]> {
  const problems: string[] = [];
  if (dirs.length > 0) installSdkResolver();
  for (const dir of dirs) {
    let names: string[];
    try { names = await readdir(dir); } catch { problems.push(`plugin directory '${dir}' cannot be read`); continue; }
    for (const n of names.sort()) {
      const p = path.join(dir, n);
      const entry = await entryOf(p).catch(() => undefined);
      if (!entry) continue;
      try {
        const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
        const specs = [mod.default, ...Object.values(mod)].flat().filter(isSpec);
        const uniq = [...new Set(specs)];
        if (uniq.length === 0) { problems.push(`plugin '${p}' exports no component declaration`); continue; }
        for (const s of uniq) {
          registry.register(s, p);
          log?.info(`Loaded plugin ${s.kind} '${s.type}' from ${p}`);
        }
      } catch (e) {
        problems.push(`plugin '${p}' failed to load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      }
    }
  }
  return problems;
}
