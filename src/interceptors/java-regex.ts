/**
 * Java (java.util.regex) patterns as Flume users write them, compiled to JavaScript RegExps.
 *
 * Translated: leading inline flags `(?i)` `(?s)` `(?m)` `(?u)` (applied to the whole pattern),
 * `\A` `\z` `\Z`, `$` (Java's `$` also matches before a final line terminator), `\Q…\E` quoting,
 * `\h` `\H`, the POSIX classes `\p{Lower}` `\p{Upper}` `\p{ASCII}` `\p{Alpha}` `\p{Digit}`
 * `\p{Alnum}` `\p{Punct}` `\p{Graph}` `\p{Print}` `\p{Blank}` `\p{Cntrl}` `\p{XDigit}` `\p{Space}`
 * (and `\P{…}`), escapes of any non-alphanumeric character. Everything JavaScript shares with Java
 * (classes, groups, named groups, lookaround, backreferences, lazy quantifiers) passes unchanged.
 *
 * Rejected with a clear error (no JavaScript equivalent): possessive quantifiers (`*+` `++` `?+`
 * `}+`), atomic groups `(?>…)`, class intersection `&&`, inline flags other than at the start,
 * `\G`, `\R`, `\X`, `\p{…}` names outside the POSIX set above (Unicode scripts/categories).
 */

export class JavaRegexError extends Error {}

const POSIX: Record<string, string> = {
  Lower: 'a-z', Upper: 'A-Z', ASCII: '\\x00-\\x7F', Alpha: 'a-zA-Z', Digit: '0-9', Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~', Graph: '!-~', Print: ' -~', Blank: ' \\t', Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F', Space: ' \\t\\n\\x0B\\f\\r',
  javaLowerCase: 'a-z', javaUpperCase: 'A-Z', javaWhitespace: ' \\t\\n\\x0B\\f\\r\\x1C-\\x1F',
};
const H = ' \\t\\xA0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000';
const JAVA_EOL_BEFORE_END = '(?=(?:\\r\\n|[\\n\\r\\u0085\\u2028\\u2029])?$)';

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

export interface TranslatedRegex { source: string; flags: string }

/** Translates a Java pattern to a JavaScript source + flags (throws JavaRegexError). */
export function translateJavaRegex(pattern: string): TranslatedRegex {
  let p = pattern;
  let flags = '';
  let multiline = false;
  // Leading inline flags, possibly several groups: (?i)(?s)...
  for (let m = /^\(\?([a-zA-Z]+)\)/.exec(p); m; m = /^\(\?([a-zA-Z]+)\)/.exec(p)) {
    for (const f of m[1]!) {
      if (f === 'i') { if (!flags.includes('i')) flags += 'i'; } else if (f === 's') { if (!flags.includes('s')) flags += 's'; } else if (f === 'm') { multiline = true; if (!flags.includes('m')) flags += 'm'; } else if (f === 'u' || f === 'U' || f === 'd') { /* no effect here */ } else throw new JavaRegexError(`inline flag (?${f}) is not supported`);
    }
    p = p.slice(m[0].length);
  }
  let out = '';
  let inClass = 0;
  // Whether the previous token was a quantifier (a following `+` would make it possessive).
  let prevQuant = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    const wasQuant: boolean = prevQuant;
    prevQuant = false;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new JavaRegexError('pattern ends with a lone backslash');
      if (n === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        out += escapeLiteral(lit);
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      if (n === 'p' || n === 'P') {
        const m = /^\{(?:Is)?([A-Za-z]+)\}/.exec(p.slice(i + 2));
        const cls = m ? POSIX[m[1]!] : undefined;
        if (!m || cls === undefined) throw new JavaRegexError(`\\${n}${m ? m[0] : ''} is not supported (only the POSIX classes such as \\p{Alpha}, \\p{Digit}, \\p{Punct})`);
        const neg = n === 'P';
        out += inClass ? (neg ? (() => { throw new JavaRegexError('\\P{…} inside a character class is not supported'); })() : cls) : `[${neg ? '^' : ''}${cls}]`;
        i += 1 + m[0].length;
        continue;
      }
      if (n === 'h' || n === 'H') {
        if (inClass && n === 'H') throw new JavaRegexError('\\H inside a character class is not supported');
        out += inClass ? H : n === 'h' ? `[${H}]` : `[^${H}]`;
        i++;
        continue;
      }
      if (!inClass && n === 'A') { out += '^'; i++; continue; }
      if (!inClass && n === 'z') { out += '$(?![\\s\\S])'; i++; continue; }
      if (!inClass && n === 'Z') { out += '(?=(?:\\r\\n|[\\n\\r\\u0085\\u2028\\u2029])?(?![\\s\\S]))'; i++; continue; }
      if (n === 'G' || n === 'R' || n === 'X') throw new JavaRegexError(`\\${n} is not supported`);
      if (/[0-9a-zA-Z]/.test(n)) { out += c + n; i++; continue; }
      // Java allows escaping any non-alphanumeric character: keep it literal.
      out += escapeLiteral(n) === n ? n : '\\' + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[') {
        // Java nested class/union: [a-z[0-9]] - unsupported in JS.
        throw new JavaRegexError('nested character classes ([a[b]]) are not supported');
      }
      if (c === '&' && p[i + 1] === '&') throw new JavaRegexError('character class intersection (&&) is not supported');
      if (c === ']') inClass = 0;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = 1;
      out += c;
      // A ']' right after '[' or '[^' is literal in Java.
      if (p[i + 1] === '^') { out += '^'; i++; }
      if (p[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      const rest = p.slice(i + 2);
      if (rest.startsWith('>')) throw new JavaRegexError('atomic groups (?>…) are not supported');
      if (/^[a-zA-Z-]+[:)]/.test(rest) && !rest.startsWith('<')) throw new JavaRegexError('inline flags are only supported at the start of the pattern');
    }
    if (c === '+' && wasQuant) throw new JavaRegexError('possessive quantifiers (*+, ++, ?+) are not supported');
    if (c === '*' || c === '+') prevQuant = true;
    else if (c === '?') prevQuant = !wasQuant && p[i - 1] !== '('; // `+?` is lazy; `(?` is a group
    else if (c === '{') {
      const q = /^\{\d+(?:,\d*)?\}/.exec(p.slice(i));
      if (q) { out += q[0]; i += q[0].length - 1; prevQuant = true; continue; }
    }
    if (c === '$' && !multiline) { out += JAVA_EOL_BEFORE_END; continue; }
    out += c;
  }
  return { source: out, flags };
}

/** Compiles a Java pattern (for find()). */
export function compileJavaRegex(pattern: string, extraFlags = ''): RegExp {
  const t = translateJavaRegex(pattern);
  try {
    return new RegExp(t.source, t.flags + extraFlags);
  } catch (e) {
    throw new JavaRegexError(e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e));
  }
}

/** Compiles a Java pattern for Matcher.matches() (whole input). */
export function compileJavaRegexFull(pattern: string): RegExp {
  const t = translateJavaRegex(pattern);
  try {
    return new RegExp(`^(?:${t.source})$`, t.flags.replace('m', ''));
  } catch (e) {
    throw new JavaRegexError(e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e));
  }
}

/** Validation helper for `check()`: the error text or undefined. */
export function javaRegexProblem(pattern: string): string | undefined {
  try { compileJavaRegex(pattern); return undefined; } catch (e) { return e instanceof Error ? e.message : String(e); }
}

/**
 * Java's Matcher.replaceAll replacement syntax: `$n` / `${name}` are group references,
 * `\x` is a literal x. Returns a function usable with String.prototype.replace.
 */
export function javaReplacement(replacement: string): (match: string, ...rest: unknown[]) => string {
  type Part = string | { group: number | string };
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === '\\') {
      i++;
      if (i >= replacement.length) throw new JavaRegexError('character to be escaped is missing');
      lit += replacement[i];
    } else if (c === '$') {
      if (replacement[i + 1] === '{') {
        const end = replacement.indexOf('}', i);
        if (end < 0) throw new JavaRegexError("named capturing group is missing trailing '}'");
        parts.push(lit, { group: replacement.slice(i + 2, end) });
        lit = '';
        i = end;
      } else {
        const m = /^\d+/.exec(replacement.slice(i + 1));
        if (!m) throw new JavaRegexError('Illegal group reference');
        parts.push(lit, { group: Number(m[0]) });
        lit = '';
        i += m[0].length;
      }
    } else lit += c;
  }
  parts.push(lit);
  return (match: string, ...rest: unknown[]): string => {
    // rest = p1..pn, offset, string, [groups]
    const last = rest[rest.length - 1];
    const hasNamed = typeof last === 'object' && last !== null;
    const groups = rest.slice(0, rest.length - (hasNamed ? 3 : 2)) as Array<string | undefined>;
    let s = '';
    for (const p of parts) {
      if (typeof p === 'string') s += p;
      else if (typeof p.group === 'number') {
        if (p.group === 0) s += match;
        else {
          if (p.group > groups.length) throw new JavaRegexError(`No group ${p.group}`);
          s += groups[p.group - 1] ?? '';
        }
      } else {
        const g = hasNamed ? (last as Record<string, string | undefined>)[p.group] : undefined;
        if (!hasNamed || !(p.group in (last as object))) throw new JavaRegexError(`No group with name {${p.group}}`);
        s += g ?? '';
      }
    }
    return s;
  };
}
