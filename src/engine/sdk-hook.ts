/**
 * Module resolution hook (node:module register): makes `import ... from 'tsagent/sdk'` (or
 * 'tsagent') inside a plugin resolve to the SDK of the running tsagent, so a plugin needs no
 * install step and shares the runtime's classes.
 */
interface ResolveContext { parentURL?: string; conditions?: string[] }
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === 'tsagent' || specifier === 'tsagent/sdk') {
    return { url: new URL('../sdk/index.js', import.meta.url).href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
