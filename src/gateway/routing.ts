import { TrieRouter } from 'hono/router/trie-router';
import type { InstanceView, RoutingTable } from './registry-types.js';
import { compareVersions } from './versions.js';

/** The service version chosen for one request, with its live instances. */
export interface RouteMatch {
  service: string;
  version: string;
  /**
   * Live instances of that version serving the route, Healthy first, then least in flight. The
   * gateway does not pick one: they pull the request from the version's queue.
   */
  instances: InstanceView[];
  params: Record<string, string>;
}

/** Why no instance was chosen: nothing live serves the path, or only with other methods. */
export interface RouteMiss {
  /** Methods live instances accept on this path; empty when no live instance serves the path. */
  allowed: string[];
}

type Entry = [InstanceView, Record<string, string>];

/** Live instances matched by method and path, built from one routing table snapshot. */
export class RouteIndex {
  readonly #byMethod = new TrieRouter<InstanceView>();
  // Every endpoint under one method, to tell "wrong method" (405) from "nobody serves it" (503).
  readonly #anyMethod = new TrieRouter<string>();
  readonly #size: number;

  constructor(table: RoutingTable) {
    let size = 0;
    // A fixed order makes overlapping routes of different services resolve the same way in every
    // isolate, whatever order the registry returned them in.
    const ordered = [...table.instances].sort(
      (a, b) =>
        a.service.localeCompare(b.service) ||
        compareVersions(b.version, a.version) ||
        a.instanceId.localeCompare(b.instanceId),
    );
    for (const instance of ordered) {
      // Unhealthy instances stopped heartbeating; Draining ones finish work but take no more.
      if (instance.liveness === 'Unhealthy' || instance.liveness === 'Draining') continue;
      for (const endpoint of instance.endpoints) {
        this.#byMethod.add(endpoint.method, endpoint.path, instance);
        this.#anyMethod.add('ALL', endpoint.path, endpoint.method);
        size++;
      }
    }
    this.#size = size;
  }

  /**
   * Chooses the service version for a request: the first service whose route matches (a HEAD
   * request also matches GET routes), then the requested version or else the highest live one.
   */
  match(method: string, path: string, requestedVersion?: string): RouteMatch | RouteMiss {
    if (this.#size === 0) return { allowed: [] };
    let matches = this.#lookup(method, path);
    if (matches.length === 0 && method === 'HEAD') matches = this.#lookup('GET', path);
    const first = matches[0];
    if (!first) return { allowed: this.#allowed(path) };
    const service = first[0].service;
    const sameService = matches.filter(([instance]) => instance.service === service);
    const version =
      requestedVersion ?? sameService.map(([instance]) => instance.version).reduce(higherVersion);
    const chosen = sameService.filter(([instance]) => instance.version === version);
    if (chosen.length === 0) return { allowed: [] };
    const instances = [...new Map(chosen.map(([i]) => [i.instanceId, i])).values()];
    instances.sort(byPreference);
    return { service, version, instances, params: chosen[0]![1] };
  }

  #lookup(method: string, path: string): Entry[] {
    return (this.#byMethod.match(method, path) as [Entry[]])[0];
  }

  #allowed(path: string): string[] {
    const [matches] = this.#anyMethod.match('ALL', path) as [[string, unknown][]];
    return [...new Set(matches.map(([method]) => method))].sort();
  }
}

/** Healthy before Degraded, then the fewest requests in flight. */
function byPreference(a: InstanceView, b: InstanceView): number {
  const health = Number(a.liveness !== 'Healthy') - Number(b.liveness !== 'Healthy');
  return health || a.inFlight - b.inFlight;
}

function higherVersion(a: string, b: string): string {
  return compareVersions(a, b) >= 0 ? a : b;
}

export function isRouteMatch(result: RouteMatch | RouteMiss): result is RouteMatch {
  return 'service' in result;
}
