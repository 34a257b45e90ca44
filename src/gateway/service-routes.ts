import { TrieRouter } from 'hono/router/trie-router';
import { InvalidArgumentError } from '../errors.js';
import type { Endpoint } from './registry-types.js';
import { validateEndpoint } from './registry-validation.js';

/** Handles one routed request. `params` holds the route's path parameters. */
export type RouteHandler = (
  request: Request,
  params: Record<string, string>,
) => Response | Promise<Response>;

/** A service's handlers, matched by method and path, and the endpoints it announces. */
export class ServiceRoutes {
  readonly endpoints: Endpoint[];
  readonly #router = new TrieRouter<RouteHandler>();

  /** Parses handlers keyed by `"METHOD /path"`; raises `InvalidArgumentError` on a bad key. */
  constructor(routes: Record<string, RouteHandler>) {
    if (routes === null || typeof routes !== 'object' || Object.keys(routes).length === 0) {
      throw new InvalidArgumentError(
        'routes',
        routes,
        'Pass handlers keyed by "METHOD /path", e.g. {"GET /hello": handler}.',
      );
    }
    this.endpoints = Object.entries(routes).map(([route, handler]) => {
      const [method, path, extra] = route.trim().split(/\s+/);
      if (extra !== undefined || typeof handler !== 'function') {
        throw new InvalidArgumentError(
          'route',
          route,
          'Key each handler function by "METHOD /path".',
        );
      }
      const endpoint = validateEndpoint({ method: method ?? '', path: path ?? '' });
      this.#router.add(endpoint.method, endpoint.path, handler);
      return endpoint;
    });
  }

  /** Finds the handler for a request; a HEAD request falls back to the GET route. */
  match(method: string, path: string): [RouteHandler, Record<string, string>] | undefined {
    const found = this.#lookup(method, path);
    return found ?? (method === 'HEAD' ? this.#lookup('GET', path) : undefined);
  }

  #lookup(method: string, path: string): [RouteHandler, Record<string, string>] | undefined {
    const [matches] = this.#router.match(method, path) as [
      [RouteHandler, Record<string, string>][],
    ];
    return matches[0];
  }
}
