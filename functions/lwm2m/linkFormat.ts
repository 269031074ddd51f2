/**
 * CoRE Link Format (RFC 6690 §2) with limits, for Register/Update bodies and Discover answers.
 *
 *   Link       = link-value *("," link-value)
 *   link-value = "<" URI-Reference ">" *(";" link-param)
 *   link-param = parmname ["=" (ptoken / quoted-string)]
 *
 * One leniency: whitespace (SP, HTAB, CR, LF) around "," and ";" is skipped, because devices in
 * the field pretty-print their payloads; RFC 6690 does not allow it, and nothing else is relaxed.
 */

export interface LinkParam {
  readonly name: string;
  /** Undefined for a parameter without "=" (e.g. `;obs`). Quoted strings are unquoted. */
  readonly value: string | undefined;
}

export interface Link {
  readonly target: string;
  readonly params: readonly LinkParam[];
}

export interface LinkFormatLimits {
  /** Default 4096. */
  readonly maxLinks?: number;
  /** Default 32. */
  readonly maxParamsPerLink?: number;
  /** Target and each value, in characters. Default 1024. */
  readonly maxValueLength?: number;
}

export type LinkFormatParse = { readonly ok: true; readonly links: readonly Link[] } | { readonly ok: false; readonly reason: string };

const PARMNAME = /[A-Za-z0-9!#$&+\-.^_`|~*]/;
const PTOKEN = /[!#$%&'()*+\-./0-9:<=>?@A-Za-z[\]^_`{|}~]/;
const WHITESPACE = /[ \t\r\n]/;

export const parseLinkFormat = (body: Uint8Array | string, limits: LinkFormatLimits = {}): LinkFormatParse => {
  const maxLinks = limits.maxLinks ?? 4096;
  const maxParams = limits.maxParamsPerLink ?? 32;
  const maxValue = limits.maxValueLength ?? 1024;
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return { ok: false, reason: 'link format must be UTF-8; the body is not' };
  }
  const links: Link[] = [];
  let at = 0;
  const fail = (reason: string): LinkFormatParse => ({ ok: false, reason: `link format, character ${at}: ${reason}` });
  const skipSpace = () => {
    while (at < text.length && WHITESPACE.test(text[at]!)) at += 1;
  };
  skipSpace();
  if (at === text.length) return { ok: true, links };
  for (;;) {
    if (links.length >= maxLinks) return fail(`more than ${maxLinks} links`);
    if (text[at] !== '<') return fail(`expected '<' to open a link, found '${text[at] ?? 'end of input'}'`);
    const close = text.indexOf('>', at + 1);
    if (close < 0) return fail('a link target is not closed with >');
    const target = text.slice(at + 1, close);
    if (target.length > maxValue) return fail(`a link target is longer than ${maxValue} characters`);
    if (/[\s<>"]/.test(target)) return fail(`link target '${target.slice(0, 40)}' contains whitespace, '<', '>' or '"'`);
    at = close + 1;
    const params: LinkParam[] = [];
    skipSpace();
    while (text[at] === ';') {
      at += 1;
      skipSpace();
      if (params.length >= maxParams) return fail(`a link has more than ${maxParams} parameters`);
      const nameStart = at;
      while (at < text.length && PARMNAME.test(text[at]!)) at += 1;
      if (at === nameStart) return fail(`expected a parameter name after ';', found '${text[at] ?? 'end of input'}'`);
      const name = text.slice(nameStart, at);
      if (text[at] !== '=') {
        params.push({ name, value: undefined });
        skipSpace();
        continue;
      }
      at += 1;
      let value: string;
      if (text[at] === '"') {
        const parsed = readQuoted(text, at, maxValue);
        if (typeof parsed === 'string') return fail(parsed);
        value = parsed.value;
        at = parsed.end;
      } else {
        const valueStart = at;
        while (at < text.length && PTOKEN.test(text[at]!)) at += 1;
        if (at === valueStart) return fail(`parameter '${name}' has '=' but no value`);
        value = text.slice(valueStart, at);
        if (value.length > maxValue) return fail(`parameter '${name}' is longer than ${maxValue} characters`);
      }
      params.push({ name, value });
      skipSpace();
    }
    links.push({ target, params });
    if (at === text.length) return { ok: true, links };
    if (text[at] !== ',') return fail(`expected ',' or ';' after a link, found '${text[at]}'`);
    at += 1;
    skipSpace();
  }
};

/** RFC 7230 quoted-string: DQUOTE *(qdtext / "\" char) DQUOTE. Returns the unescaped value. */
const readQuoted = (text: string, start: number, maxValue: number): { value: string; end: number } | string => {
  let value = '';
  for (let i = start + 1; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '"') return { value, end: i + 1 };
    if (c === '\\') {
      i += 1;
      if (i >= text.length) break;
      value += text[i];
    } else {
      value += c;
    }
    if (value.length > maxValue) return `a quoted value is longer than ${maxValue} characters`;
  }
  return 'a quoted string is not closed';
};

/** The first value of a parameter (`rt`, `ct`, `ver`...), '' for a present parameter without value. */
export const linkParam = (link: Link, name: string): string | undefined => {
  const found = link.params.find((p) => p.name === name);
  return found === undefined ? undefined : (found.value ?? '');
};
