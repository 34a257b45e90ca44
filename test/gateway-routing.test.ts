import { describe, expect, it } from 'vitest';
import type { InstanceView, Liveness } from '../src/gateway/registry-types.js';
import { isRouteMatch, RouteIndex, type RouteMatch } from '../src/gateway/routing.js';
import { compareVersions } from '../src/gateway/versions.js';

function instance(
  instanceId: string,
  version: string,
  liveness: Liveness,
  inFlight = 0,
  endpoints = [{ method: 'GET', path: '/users/:id' }],
  service = 'users',
): InstanceView {
  const reported = liveness === 'Unhealthy' ? 'Healthy' : liveness;
  return {
    instanceId,
    service,
    version,
    endpoints,
    liveness,
    reported,
    inFlight,
    errorRate: 0,
    silentForMs: 0,
  };
}

function route(instances: InstanceView[], method: string, path: string, version?: string) {
  return new RouteIndex({ serverTimeMs: 0, instances }).match(method, path, version);
}

function matched(result: ReturnType<typeof route>): RouteMatch {
  if (!isRouteMatch(result)) throw new Error(`no match: ${JSON.stringify(result)}`);
  return result;
}

describe('route index', () => {
  it('matches path parameters and methods', () => {
    const result = matched(route([instance('a', '1.0.0', 'Healthy')], 'GET', '/users/42'));
    expect(result.service).toBe('users');
    expect(result.params).toEqual({ id: '42' });
    expect(route([instance('a', '1.0.0', 'Healthy')], 'GET', '/users')).toEqual({ allowed: [] });
  });

  it('reports the allowed methods for a wrong method', () => {
    const a = instance('a', '1.0.0', 'Healthy', 0, [
      { method: 'GET', path: '/users/:id' },
      { method: 'DELETE', path: '/users/:id' },
    ]);
    expect(route([a], 'POST', '/users/1')).toEqual({ allowed: ['DELETE', 'GET'] });
  });

  it('lets HEAD use GET routes and ALL match any method', () => {
    const a = instance('a', '1.0.0', 'Healthy', 0, [
      { method: 'GET', path: '/users/:id' },
      { method: 'ALL', path: '/any/*' },
    ]);
    expect(matched(route([a], 'HEAD', '/users/1')).params).toEqual({ id: '1' });
    expect(matched(route([a], 'PATCH', '/any/thing')).service).toBe('users');
  });

  it('picks the highest live version unless one is requested', () => {
    const instances = [
      instance('old', '1.9.0', 'Healthy'),
      instance('new', '1.10.0', 'Healthy'),
      instance('dead', '2.0.0', 'Unhealthy'),
      instance('beta', '1.10.0-beta.1', 'Healthy'),
    ];
    expect(matched(route(instances, 'GET', '/users/1')).version).toBe('1.10.0');
    expect(matched(route(instances, 'GET', '/users/1', '1.9.0')).instances[0]?.instanceId).toBe(
      'old',
    );
    expect(route(instances, 'GET', '/users/1', '2.0.0')).toEqual({ allowed: [] });
  });

  it('skips Unhealthy and Draining instances', () => {
    const instances = [instance('u', '1.0.0', 'Unhealthy'), instance('d', '1.0.0', 'Draining')];
    expect(route(instances, 'GET', '/users/1')).toEqual({ allowed: [] });
  });

  it('orders Healthy before Degraded, then by load', () => {
    const instances = [
      instance('degraded-idle', '1.0.0', 'Degraded', 0),
      instance('healthy-busy', '1.0.0', 'Healthy', 5),
      instance('healthy-idle', '1.0.0', 'Healthy', 1),
    ];
    const order = matched(route(instances, 'GET', '/users/1')).instances.map((i) => i.instanceId);
    expect(order).toEqual(['healthy-idle', 'healthy-busy', 'degraded-idle']);
  });

  it('resolves overlapping services the same whatever the table order', () => {
    const a = instance('a', '1.0.0', 'Healthy', 0, [{ method: 'GET', path: '/x' }], 'alpha');
    const b = instance('b', '1.0.0', 'Healthy', 0, [{ method: 'GET', path: '/x' }], 'beta');
    expect(matched(route([a, b], 'GET', '/x')).service).toBe('alpha');
    expect(matched(route([b, a], 'GET', '/x')).service).toBe('alpha');
  });
});

describe('version order', () => {
  it.each([
    ['1.10.0', '1.9.0', 1],
    ['v2', '1.99', 1],
    ['1.0.0', '1.0.0-rc.1', 1],
    ['1.0.0-rc.2', '1.0.0-rc.10', -1],
    ['1.2', '1.2.1', -1],
    ['1.0.0', 'v1.0.0', 0],
    ['blue', 'green', -1],
  ])('%s against %s is %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compareVersions(b, a)).toBe(-expected || 0);
  });
});
