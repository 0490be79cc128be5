import type { CommandModule } from 'yargs';
import { generateCommand } from './generate.js';
import { replayCommand } from './replay.js';
import { analyzerCommand } from './analyzer.js';
import { pipelineCommand } from './pipeline.js';

/**
 * Extra sub-commands registered by feature modules (replay, generate, analyzer, ...).
 * Each feature owns its own file in this directory and adds one import + one array entry here.
 * The core commands (agent, validate, describe, version) are registered by ../main.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs command modules have heterogeneous argv types
export type AnyCommand = CommandModule<object, any>;

export const extraCommands: AnyCommand[] = [analyzerCommand as AnyCommand, generateCommand as AnyCommand, replayCommand as AnyCommand, pipelineCommand as AnyCommand];
