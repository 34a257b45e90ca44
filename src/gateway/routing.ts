import { TrieRouter } from 'hono/router/trie-router';
import type { InstanceView, RoutingTable } from './registry-types.js';

/** The instances that may serve one request, with the path parameters of the matched route. */
export interface RouteMatch {
  service: string;
  version: string;
  instances: InstanceView[];
  params: Record<string, string>;
}

/** Live instances matched by method and path, built from one routing table snapshot. */
export class RouteIndex {
  readonly #router = new TrieRouter<InstanceView>();
  readonly #empty: boolean;

  constructor(table: RoutingTable) {
    let count = 0;
    for (const instance of table.instances) {
      // Unhealthy instances stopped heartbeating; Draining ones finish work but take no more.
      if (instance.liveness === 'Unhealthy' || instance.liveness === 'Draining') continue;
      for (const endpoint of instance.endpoints) {
        this.#router.add(endpoint.method, endpoint.path, instance);
        count++;
      }
    }
    this.#empty = count === 0;
  }

  /**
   * Finds the service for a request: the first service whose route matches, then the requested
   * version (or the highest one), keeping the instances of that version.
   */
  match(method: string, path: string, requestedVersion?: string): RouteMatch | undefined {
    if (this.#empty) return undefined;
    const [matches] = this.#router.match(method, path) as [
      [InstanceView, Record<string, string>][],
    ];
    const first = matches[0];
    if (!first) return undefined;
    const service = first[0].service;
    const sameService = matches.filter(([instance]) => instance.service === service);
    const versions = [...new Set(sameService.map(([instance]) => instance.version))];
    const version = requestedVersion ?? versions.sort(compareVersions).at(-1)!;
    const chosen = sameService.filter(([instance]) => instance.version === version);
    if (chosen.length === 0) return undefined;
    const instances = [...new Map(chosen.map(([i]) => [i.instanceId, i])).values()];
    return { service, version, instances, params: chosen[0]![1] };
  }
}

/** Orders versions by their dot-separated parts, numerically where both parts are numbers. */
export function compareVersions(a: string, b: string): number {
  const left = a.replace(/^v/, '').split(/[.-]/);
  const right = b.replace(/^v/, '').split(/[.-]/);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? '';
    const y = right[i] ?? '';
    const order = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
    if (order !== 0) return order;
  }
  return 0;
}
