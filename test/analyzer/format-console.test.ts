import { describe, expect, it } from 'vitest';
import { consoleBatch, escapeMetaCharacters, showString, stringHalfWidth, windowCell } from '../../src/analyzer/format-console.js';

const OPTS = { numRows: 20, truncate: 0, format: 'spark3.5' as const };

describe('Spark console formatting', () => {
  it('prints the banner, the table and the blank line of println', () => {
    const s = consoleBatch(3, ['window', 'total_requests'], [['{2024-01-01 10:00:00, 2024-01-01 10:01:00}', '7']], OPTS);
    expect(s).toBe([
      '-------------------------------------------',
      'Batch: 3',
      '-------------------------------------------',
      '+------------------------------------------+--------------+',
      '|window                                    |total_requests|',
      '+------------------------------------------+--------------+',
      '|{2024-01-01 10:00:00, 2024-01-01 10:01:00}|7             |',
      '+------------------------------------------+--------------+',
      '',
      '',
    ].join('\n'));
  });
  it('an empty result still prints the header (batch 0 of a Kafka stream)', () => {
    expect(showString(['window', 'count'], [], OPTS)).toBe('+------+-----+\n|window|count|\n+------+-----+\n+------+-----+\n');
  });
  it('columns are at least 3 wide; null prints as null', () => {
    expect(showString(['a'], [[null], ['x']], OPTS)).toBe('+----+\n|a   |\n+----+\n|null|\n|x   |\n+----+\n');
  });
  it('adds the footer only when rows were cut (singular for 1)', () => {
    expect(showString(['a'], [['1'], ['2'], ['3']], { ...OPTS, numRows: 2 })).toMatch(/\|2  \|\n\+---\+\nonly showing top 2 rows\n$/);
    expect(showString(['a'], [['1'], ['2']], { ...OPTS, numRows: 1 })).toMatch(/only showing top 1 row\n$/);
    expect(showString(['a'], [['1'], ['2']], { ...OPTS, numRows: 2 })).not.toMatch(/only showing/);
  });
  it('truncate > 0 right-aligns and cuts to 17 chars + ...', () => {
    expect(showString(['endpoint'], [['/a-very-long-endpoint-name'], ['/x']], { ...OPTS, truncate: 20 })).toBe(
      '+--------------------+\n|            endpoint|\n+--------------------+\n|/a-very-long-endp...|\n|                  /x|\n+--------------------+\n');
  });
  it('full-width characters count twice; astral characters count their UTF-16 length', () => {
    expect(stringHalfWidth('/数据')).toBe(5);
    expect(stringHalfWidth('/Ａ')).toBe(3);
    expect(stringHalfWidth('/😀')).toBe(3);
    expect(stringHalfWidth('/\uFFFD')).toBe(2);
    expect(showString(['e'], [['数据'], ['abcde']], OPTS)).toBe('+-----+\n|e    |\n+-----+\n|数据 |\n|abcde|\n+-----+\n');
  });
  it('escapes control characters from Spark 3.4 on, not before', () => {
    expect(escapeMetaCharacters('a\tb\x07\n')).toBe('a\\tb\\a\\n');
    expect(showString(['e'], [['a\x07']], OPTS)).toContain('|a\\a|');
    expect(showString(['e'], [['a\x07']], { ...OPTS, format: 'spark3.0' })).toContain('|a\x07 |');
  });
  it('window cell brackets by version', () => {
    expect(windowCell('a', 'b', 'spark3.0')).toBe('[a, b]');
    expect(windowCell('a', 'b', 'spark3.1')).toBe('{a, b}');
  });
});
