/**
 * A small leveled logger writing Flume-like lines to stderr:
 * `2026-11-25 12:00:00,123 (component) [INFO - Source.method] message` is Flume's console
 * pattern; we print `<ISO time> <LEVEL> [<name>] <message>`.
 */
export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';
const ORDER: Record<Level, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, OFF: 100 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(name: string): Logger;
  isDebug(): boolean;
}

export interface LogSink { write(line: string): void }

export class ConsoleLogger implements Logger {
  constructor(
    private readonly name: string,
    private readonly state: { level: Level; out: LogSink },
  ) {}
  static create(level: Level = 'INFO', out: LogSink = { write: (l) => process.stderr.write(l) }): ConsoleLogger {
    return new ConsoleLogger('tsagent', { level, out });
  }
  setLevel(level: Level): void { this.state.level = level; }
  private log(level: Level, msg: string): void {
    if (ORDER[level] < ORDER[this.state.level]) return;
    this.state.out.write(`${new Date().toISOString()} ${level.padEnd(5)} [${this.name}] ${msg}\n`);
  }
  debug(msg: string): void { this.log('DEBUG', msg); }
  info(msg: string): void { this.log('INFO', msg); }
  warn(msg: string): void { this.log('WARN', msg); }
  error(msg: string): void { this.log('ERROR', msg); }
  isDebug(): boolean { return ORDER[this.state.level] <= ORDER.DEBUG; }
  child(name: string): Logger { return new ConsoleLogger(name, this.state); }
}

/** Logger that records lines in memory (tests) or drops them. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  constructor(private readonly name = 'test') {}
  debug(msg: string): void { this.lines.push(`DEBUG [${this.name}] ${msg}`); }
  info(msg: string): void { this.lines.push(`INFO [${this.name}] ${msg}`); }
  warn(msg: string): void { this.lines.push(`WARN [${this.name}] ${msg}`); }
  error(msg: string): void { this.lines.push(`ERROR [${this.name}] ${msg}`); }
  isDebug(): boolean { return false; }
  child(name: string): Logger {
    const c = new MemoryLogger(name);
    (c as { lines: string[] }).lines = this.lines;
    return c;
  }
}

export function parseLevel(s: string | undefined): Level | undefined {
  if (!s) return undefined;
  const u = s.trim().toUpperCase();
  if (u === 'TRACE' || u === 'ALL') return 'DEBUG';
  if (u === 'FATAL') return 'ERROR';
  return u in ORDER ? (u as Level) : undefined;
}
