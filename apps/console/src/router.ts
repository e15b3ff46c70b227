import { useEffect, useState } from 'react';

/** Hash routes (#/connectors/…): the status service serves one static index.html. */
export type Route =
  | { name: 'services' }
  | { name: 'new' }
  | { name: 'connector'; id: string }
  | { name: 'edit'; id: string }
  | { name: 'outcomes'; id: string; type: 'rejected' | 'dead-lettered' | 'skipped' }
  | { name: 'directory' }
  | { name: 'tokens' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'connectors' && parts[1] === 'new') return { name: 'new' };
  if (parts[0] === 'connectors' && parts[1] && parts[2] === 'edit') return { name: 'edit', id: parts[1] };
  if (parts[0] === 'connectors' && parts[1] && parts[2] === 'outcomes') {
    const type = parts[3] === 'rejected' || parts[3] === 'skipped' ? parts[3] : 'dead-lettered';
    return { name: 'outcomes', id: parts[1], type };
  }
  if (parts[0] === 'connectors' && parts[1]) return { name: 'connector', id: parts[1] };
  if (parts[0] === 'directory') return { name: 'directory' };
  if (parts[0] === 'tokens') return { name: 'tokens' };
  return { name: 'services' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export const go = (hash: string): void => {
  location.hash = hash;
};
