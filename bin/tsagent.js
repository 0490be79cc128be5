#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli by `npm run build` (run by `prepare`).
import { main } from '../dist/cli/main.js';
main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number' && code !== 0) process.exitCode = code; },
  (err) => { console.error(`tsagent: ${err instanceof Error ? err.message : String(err)}`); process.exitCode = 1; },
);
