/**
 * A tiny hash router: every route lives in the URL fragment (`#/suivre/IDF-2026-000123?token=…`),
 * which browsers never send to a server, so a tracking token in a link stays out of every log.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Path segments after `#/`, e.g. ['suivre', 'IDF-2026-000123']. */
  segments: string[];
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?', 2);
  return { segments: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(segments: string[], params?: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) if (value !== undefined && value !== '') search.set(key, String(value));
  const query = search.toString();
  return `#/${segments.map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
}

/** Replaces the fragment without a new history entry (e.g. when a form's choice changes). */
export function replaceRoute(segments: string[], params?: Record<string, string | number | undefined>): void {
  history.replaceState(null, '', href(segments, params));
  dispatchEvent(new HashChangeEvent('hashchange'));
}
