import { describe, expect, it } from 'vitest';
import {
  emptyParsedLine, parseRegion, F_ALL, extractBytes, extractBytesText, extractEndpoint, extractIp, extractMethod, extractProtocol,
  extractStatus, extractTimestamp, isMalformed, parseLine, MALFORMED_MASK,
} from '../../src/analyzer/parse.js';

// Oracle: the seed's Java regexes translated to JS RegExp with Java's ASCII classes and Java's
// non-MULTILINE `$` (end of input or before one final line terminator).
const S = '[^ \\t\\n\\x0B\\f\\r]';
const JAVA_DOLLAR = '(?=(?:\\r\\n|[\\n\\r\\u0085\\u2028\\u2029])?$)';
const ORACLE = {
  ip: new RegExp(`^(${S}+)`),
  timestamp: /\[([0-9]{2}\/[A-Za-z0-9_]{3}\/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4})\]/,
  method: new RegExp(`"(${S}+)`),
  endpoint: new RegExp(`"(?:${S}+) (${S}+)`),
  protocol: new RegExp(`"(?:${S}+) (?:${S}+) (${S}+)"`),
  status: / ([0-9]{3}) /,
  bytes: new RegExp(` ([0-9]+|-)${JAVA_DOLLAR}`),
};
function oracle(re: RegExp, s: string): string {
  const m = re.exec(s);
  return m ? (m[1] ?? '') : '';
}
function castInt(s: string): number | null {
  if (!/^[0-9]+$/.test(s)) return null;
  const v = Number(s.replace(/^0+(?=.)/, ''));
  return v > 2147483647 || s.replace(/^0+(?=.)/, '').length > 10 ? null : v;
}

const NASA_CASES: Array<[string, string, Record<string, string | number | null>]> = [
  ['normal line', '199.72.81.55 - - [01/Jul/1995:00:00:01 -0400] "GET /history/apollo/ HTTP/1.0" 200 6245',
    { ip: '199.72.81.55', timestamp: '01/Jul/1995:00:00:01 -0400', method: 'GET', endpoint: '/history/apollo/', protocol: 'HTTP/1.0', status: 200, bytes: 6245 }],
  ['bytes -', 'dd15-062.compuserve.com - - [01/Jul/1995:00:01:12 -0400] "GET /news/x.txt HTTP/1.0" 404 -',
    { ip: 'dd15-062.compuserve.com', method: 'GET', endpoint: '/news/x.txt', protocol: 'HTTP/1.0', status: 404, bytes: null }],
  ['no protocol: endpoint keeps the closing quote', 'columbia.acc.brad.ac.uk - - [01/Jul/1995:00:51:31 -0400] "GET /ksc.html" 200 7074',
    { method: 'GET', endpoint: '/ksc.html"', protocol: '', status: 200, bytes: 7074 }],
  ['trailing space before the quote', 'asgard.cs.colorado.edu - - [01/Jul/1995:11:31:47 -0400] "GET /icons/back.xbm " 200 506',
    { method: 'GET', endpoint: '/icons/back.xbm', protocol: '', status: 200, bytes: 506 }],
  ['run of spaces before HTTP', 'mizzou-ts3-03.missouri.edu - - [01/Jul/1995:03:05:40 -0400] "GET /a/images.html   HTTP/1.0" 200 4464',
    { endpoint: '/a/images.html', protocol: '', status: 200, bytes: 4464 }],
  ['extra words between URL and protocol', 'nccse.gsfc.nasa.gov - - [01/Jul/1995:07:36:13 -0400] "GET /shuttle/missions/missions.html Shuttle Launches from Kennedy Space Center HTTP/1.0" 200 8677',
    { endpoint: '/shuttle/missions/missions.html', protocol: '', status: 200, bytes: 8677 }],
  ['HTTP/V1.0', 'asn20.whidbey.net - - [01/Jul/1995:01:49:11 -0400] "GET /c.html HTTP/V1.0" 200 3985', { protocol: 'HTTP/V1.0' }],
  ['URL without slash', 'dawn14.cs.berkeley.edu - - [01/Jul/1995:14:39:38 -0400] "GET :/facilities/tour.html HTTP/1.0" 404 -',
    { endpoint: ':/facilities/tour.html', status: 404, bytes: null }],
  ['U+FFFD from an invalid byte', 'h - - [01/Jul/1995:14:39:38 -0400] "GET /shuttle/countdown/dy \uFFFD?shuttle%20tracking HTTP/1.0" 200 1',
    { endpoint: '/shuttle/countdown/dy', protocol: '', status: 200, bytes: 1 }],
  ['status 200 bytes 0', 'b - - [01/Jul/1995:00:00:12 -0400] "GET /v.gif HTTP/1.0" 200 0', { status: 200, bytes: 0 }],
];

const EDGE_CASES: Array<[string, string, Record<string, string | number | null>]> = [
  ['empty line', '', { ip: '', timestamp: '', method: '', endpoint: '', protocol: '', status: null, bytes: null }],
  ['leading space: no ip', ' host - - x', { ip: '' }],
  ['tab is whitespace for \\S', 'a\tb', { ip: 'a' }],
  ['vertical tab is whitespace', 'a\x0Bb', { ip: 'a' }],
  ['NBSP is not whitespace in Java ASCII mode', 'a\u00A0b c', { ip: 'a\u00A0b' }],
  ['method skips a quote followed by space', 'x " "GET /a', { method: 'GET', endpoint: '/a' }],
  ['quote inside the first run', 'x "a"b c"', { method: 'a"b', endpoint: 'c"', protocol: '' }],
  ['protocol with several quotes takes the last one', 'x "A B C"D"E', { protocol: 'C"D' }],
  ['protocol group may be a quote', 'x "A B "" 200 1', { protocol: '"' }],
  ['protocol needs one char before the quote', 'x "A B " 200 1', { protocol: '' }],
  ['a later quote can start the protocol match', 'x "A B C D "E F G" 200 1', { method: 'A', endpoint: 'B', protocol: 'G' }],
  ['status is the leftmost " ddd "', 'h 123 x "GET / HTTP/1.0" 200 5', { status: 123 }],
  ['status needs a trailing space', 'h "GET / HTTP/1.0" 200', { status: null, bytes: 200 }],
  ['status 000', 'h " 000 1', { status: 0 }],
  ['bytes before a final LF', 'h "GET / X" 200 17\n', { bytes: 17 }],
  ['bytes before a final CRLF', 'h "GET / X" 200 17\r\n', { bytes: 17 }],
  ['bytes before a final CR', 'h "GET / X" 200 17\r', { bytes: 17 }],
  ['bytes before a final U+2028', 'h "GET / X" 200 17\u2028', { bytes: 17 }],
  ['bytes not before two LFs', 'h "GET / X" 200 17\n\n', { bytes: null }],
  ['bytes: digits must follow a space', 'h "GET / X" 200 x17', { bytes: null }],
  ['bytes: trailing space', 'h "GET / X" 200 17 ', { bytes: null }],
  ['bytes: leading zeros', 'h "GET / X" 200 000000000000000123', { bytes: 123 }],
  ['bytes: Int.MaxValue', 'h "GET / X" 200 2147483647', { bytes: 2147483647 }],
  ['bytes: overflow is null', 'h "GET / X" 200 2147483648', { bytes: null }],
  ['bytes: dash with CRLF', 'h "GET / X" 404 -\r\n', { bytes: null }],
  ['Arabic-Indic digits are not \\d', 'h "GET / X" \u0662\u0660\u0660 5', { status: null }],
  ['timestamp: lowercase month still matches \\w', 'h [01/jul/1995:00:00:01 +0000] x', { timestamp: '01/jul/1995:00:00:01 +0000' }],
  ['timestamp: second bracket matches', 'h [x] [01/Jul/1995:00:00:01 -0400]', { timestamp: '01/Jul/1995:00:00:01 -0400' }],
  ['timestamp: missing closing bracket', 'h [01/Jul/1995:00:00:01 -0400 x', { timestamp: '' }],
  ['timestamp: zone without sign', 'h [01/Jul/1995:00:00:01 0400]', { timestamp: '' }],
  ['surrogate pairs are \\S', '\u{1F600}x "\u{1F600} /\u{1F600} H\u{1F600}" 200 1', { ip: '\u{1F600}x', method: '\u{1F600}', endpoint: '/\u{1F600}', protocol: 'H\u{1F600}' }],
];

type Field = 'ip' | 'timestamp' | 'method' | 'endpoint' | 'protocol' | 'status' | 'bytes';
const EXTRACT: Record<Field, (s: string) => string | number | null> = {
  ip: extractIp, timestamp: extractTimestamp, method: extractMethod, endpoint: extractEndpoint,
  protocol: extractProtocol, status: extractStatus, bytes: extractBytes,
};

describe('field extraction (Spark regexp_extract semantics)', () => {
  for (const [name, line, want] of [...NASA_CASES, ...EDGE_CASES]) {
    it(name, () => {
      for (const [f, v] of Object.entries(want)) {
        expect(EXTRACT[f as Field](line), `${f} of ${JSON.stringify(line)}`).toEqual(v);
      }
    });
  }

  it('agrees with the Java-equivalent regex oracle on every table line', () => {
    for (const [, line] of [...NASA_CASES, ...EDGE_CASES]) checkAgainstOracle(line);
  });

  it('agrees with the oracle on 30,000 random lines over a tricky alphabet', () => {
    const alphabet = ['"', ' ', ' ', ' ', '-', '[', ']', '/', ':', '+', '1', '2', '0', '9', 'a', 'G', 'J', '\t', '\r', '\n', '\u0085', '\u00A0', '\uFFFD', '_'];
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const templates = ['h - - [01/Jul/1995:00:00:01 -0400] "GET /a HTTP/1.0" 200 12', 'h [11/Aug/2024:10:20:30 +0130] " 404 -'];
    for (let k = 0; k < 30_000; k++) {
      let s = '';
      if (k % 3 === 0) {
        // mutate a template
        const t = templates[rnd(templates.length)]!.split('');
        for (let m = rnd(4); m >= 0; m--) t[rnd(t.length)] = alphabet[rnd(alphabet.length)]!;
        s = t.join('');
      } else {
        const len = rnd(40);
        for (let i = 0; i < len; i++) s += alphabet[rnd(alphabet.length)];
      }
      checkAgainstOracle(s);
    }
  });

  it('agrees with the oracle on 20,000 lines of shuffled log tokens (fields in any order)', () => {
    // The scanner skips spans it has already read (the ip run, the timestamp's [...], the method
    // and endpoint runs) when it looks for quotes and for the status; these lines put those
    // spans in every order and next to 3-digit numbers, quotes and odd spaces.
    const tokens = ['[01/Jul/1995:00:00:01 -0400]', '[01/Jul/1995:00:00:01 -0400', '"GET', '"', '/a', 'HTTP/1.0"', ' ', ' ', ' ', '200', '404',
      ' 301 ', '-', 'h', 'x"y', '\t', '12', '1234', 'é', '\uFFFD', '"200', ']'];
    let seed = 99;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let k = 0; k < 20_000; k++) {
      let s = '';
      for (let i = 1 + rnd(12); i > 0; i--) s += tokens[rnd(tokens.length)];
      checkAgainstOracle(s);
    }
  });

  it('bytes text keeps the captured dash', () => {
    expect(extractBytesText('x 404 -')).toBe('-');
    expect(extractBytesText('x 404 12')).toBe('12');
    expect(extractBytesText('x 404 a')).toBe('');
  });
});

function checkAgainstOracle(line: string): void {
  for (const f of ['ip', 'timestamp', 'method', 'endpoint', 'protocol'] as const) {
    expect(EXTRACT[f](line), `${f} of ${JSON.stringify(line)}`).toBe(oracle(ORACLE[f], line));
  }
  expect(extractStatus(line), `status of ${JSON.stringify(line)}`).toBe(castInt(oracle(ORACLE.status, line)));
  expect(extractBytes(line), `bytes of ${JSON.stringify(line)}`).toBe(castInt(oracle(ORACLE.bytes, line)));
  expect(extractBytesText(line)).toBe(oracle(ORACLE.bytes, line));
}

describe('parseRegion (a line inside a larger chunk)', () => {
  it('gives the same fields as parseLine on the line alone, whatever surrounds it', () => {
    const alphabet = ['"', ' ', '[', ']', '1', '2', '0', 'a', '-', '/', ':', '+', '\r', '\n'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const lines = [...NASA_CASES, ...EDGE_CASES].map(([, l]) => l);
    for (let k = 0; k < 3000; k++) {
      let l = '';
      for (let i = rnd(50); i > 0; i--) l += alphabet[rnd(alphabet.length)];
      lines.push(l);
    }
    // Several lines in one chunk, consumed in order (as the splitter does): the memo of
    // indexOf must not leak positions between lines.
    const chunk = lines.join('\u0000"[ 123 ');
    let from = 0;
    for (const l of lines) {
      const a = emptyParsedLine();
      const b = emptyParsedLine();
      parseLine(l, a);
      parseRegion(chunk, from, from + l.length, b, F_ALL);
      expect(b, JSON.stringify(l)).toEqual(a);
      from += l.length + '\u0000"[ 123 '.length;
    }
  });
});

describe('parseLine', () => {
  it('null line gives null fields (a Kafka record without a value)', () => {
    const p = emptyParsedLine();
    parseLine('h - - [01/Jul/1995:00:00:01 -0400] "GET / HTTP/1.0" 200 1', p);
    parseLine(null, p);
    expect(p).toEqual(emptyParsedLine());
  });
  it('extracts only the masked fields', () => {
    const p = emptyParsedLine();
    parseLine('h - - [01/Jul/1995:00:00:01 -0400] "GET / HTTP/1.0" 200 1', p, MALFORMED_MASK);
    expect(p.protocol).toBeNull();
    expect(p.bytes).toBeNull();
    expect(p.endpoint).toBe('/');
    expect(isMalformed(p)).toBe(false);
  });
  it.each([
    ['', true],
    ['just text', true],
    ['h - - [01/Jul/1995:00:00:01 -0400] "GET /ksc.html" 200 7074', false],
    ['h - - [01/Jul/1995:00:00:01 -0400] "GET /ksc.html" 200 -', false],
    ['h - - [01/Jul/1995:00:00:01 -0400] "GET" 200 1', false], // endpoint regex takes "200"
    ['h - - [01/Jul/1995:00:00:01 -0400] "GET"', true],
    ['h - - [01/Jul/1995:00:00:01] "GET /a HTTP/1.0" 200 1', true],
  ])('malformed(%j) = %s', (line, want) => {
    const p = emptyParsedLine();
    parseLine(line, p, MALFORMED_MASK);
    expect(isMalformed(p)).toBe(want);
  });
});
