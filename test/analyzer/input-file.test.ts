import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readLines } from '../../src/analyzer/input-file.js';

async function lines(chunks: Buffer[]): Promise<string[]> {
  const stdin = new PassThrough();
  const out: string[] = [];
  const p = readLines('-', { line: (t, a, b) => out.push(t.toString('utf8', a, b)), chunkDone: () => undefined }, { stdin });
  for (const c of chunks) {
    stdin.write(c);
    await new Promise((r) => setImmediate(r));
  }
  stdin.end();
  await p;
  return out;
}

describe('file/stdin line reader', () => {
  it.each([
    ['LF, CRLF and CR line ends; no empty line after the last end', [Buffer.from('a\nb\r\nc\rd\n')], ['a', 'b', 'c', 'd']],
    ['last line without a line end', [Buffer.from('a\nb')], ['a', 'b']],
    ['empty lines are lines', [Buffer.from('\n\nx\n')], ['', '', 'x']],
    ['CRLF split across chunks is one line end', [Buffer.from('a\r'), Buffer.from('\nb\n')], ['a', 'b']],
    ['a line split across chunks', [Buffer.from('ab'), Buffer.from('cd\nef'), Buffer.from('\n')], ['abcd', 'ef']],
    ['UTF-8 sequence split across chunks', [Buffer.from([0x61, 0xe6]), Buffer.from([0x95, 0xb0, 0x0a, 0x62, 0x0a])], ['a数', 'b']],
    ['invalid UTF-8 becomes U+FFFD, ASCII chunks after it still decode', [Buffer.from([0x61, 0x80, 0x0a]), Buffer.from('b\n')], ['a\uFFFD', 'b']],
    ['gzip is detected by its magic bytes', [gzipSync('x\ny\n')], ['x', 'y']],
  ])('%s', async (_n, chunks, want) => {
    expect(await lines(chunks)).toEqual(want);
  });
});
