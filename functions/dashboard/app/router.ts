import { useEffect, useState } from 'react';

/**
 * Hash routes (`#/devices/thing-1?at=...`): they work from a static bucket with no server rewrite,
 * which the AWS hosting needs, and keep the embedded server's API paths free.
 */
export interface Location {
  readonly path: string;
  readonly query: URLSearchParams;
}

const read = (): Location => {
  const hash = window.location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = hash.split('?', 2);
  return { path, query: new URLSearchParams(query) };
};

export const useLocation = (): Location => {
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const onChange = () => setLocation(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return location;
};

/** The href of a route, for `<a href>`: keeps links real links (middle-click, keyboard). */
export const href = (path: string, query?: Record<string, string | undefined>): string => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, v);
  const q = params.toString();
  return `#${path}${q ? `?${q}` : ''}`;
};

export const navigate = (path: string, query?: Record<string, string | undefined>): void => {
  window.location.hash = href(path, query).slice(1);
};

/** Matches `/devices/:thingName` against a path; undefined when it does not match. */
export const match = (pattern: string, path: string): Record<string, string> | undefined => {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] ?? '';
    const seg = s[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(seg);
    else if (part !== seg) return undefined;
  }
  return params;
};
