import { InvalidArgumentError } from '../errors.js';
import { validateName } from '../keys.js';
import type { Endpoint, Heartbeat, Hello, ReportedStatus } from './registry-types.js';
import { validateSegment } from './service-queue.js';

const STATUSES: readonly ReportedStatus[] = ['Healthy', 'Degraded', 'Draining'];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'ALL']);
const MAX_ENDPOINTS = 1000;

export function validateHello(frame: Hello): Hello {
  if (frame === null || typeof frame !== 'object') {
    throw new InvalidArgumentError(
      'HELLO frame',
      frame,
      'Pass {instanceId, service, version, endpoints}.',
    );
  }
  return {
    instanceId: validateName('instance id', frame.instanceId),
    service: validateSegment('service name', frame.service),
    version: validateSegment('service version', frame.version),
    region: frame.region === undefined ? undefined : validateName('region', frame.region),
    endpoints: validateEndpoints(frame.endpoints),
  };
}

export function validateEndpoints(endpoints: Endpoint[]): Endpoint[] {
  if (!Array.isArray(endpoints) || endpoints.length > MAX_ENDPOINTS) {
    throw new InvalidArgumentError(
      'endpoints',
      endpoints,
      `Pass an array of at most ${MAX_ENDPOINTS} {method, path} objects.`,
    );
  }
  return endpoints.map(validateEndpoint);
}

export function validateEndpoint(endpoint: Endpoint): Endpoint {
  const method =
    typeof endpoint?.method === 'string' ? endpoint.method.toUpperCase() : endpoint?.method;
  if (typeof method !== 'string' || !METHODS.has(method)) {
    throw new InvalidArgumentError(
      'endpoint method',
      endpoint?.method,
      `Use one of ${[...METHODS].join(', ')}.`,
    );
  }
  if (
    typeof endpoint.path !== 'string' ||
    !endpoint.path.startsWith('/') ||
    endpoint.path.length > 512
  ) {
    throw new InvalidArgumentError(
      'endpoint path',
      endpoint.path,
      'Paths start with "/" and have at most 512 characters, e.g. "/users/:id".',
    );
  }
  return { method, path: endpoint.path };
}

export function validateHeartbeat(frame: Heartbeat): Heartbeat {
  if (!STATUSES.includes(frame?.status)) {
    throw new InvalidArgumentError(
      'heartbeat status',
      frame?.status,
      `Use one of ${STATUSES.join(', ')}.`,
    );
  }
  if (!Number.isInteger(frame.inFlight) || frame.inFlight < 0) {
    throw new InvalidArgumentError(
      'heartbeat inFlight',
      frame.inFlight,
      'Pass the number of requests in progress (0 or more).',
    );
  }
  if (typeof frame.errorRate !== 'number' || !(frame.errorRate >= 0 && frame.errorRate <= 1)) {
    throw new InvalidArgumentError(
      'heartbeat errorRate',
      frame.errorRate,
      'Pass a share from 0 to 1.',
    );
  }
  return {
    instanceId: validateName('instance id', frame.instanceId),
    status: frame.status,
    inFlight: frame.inFlight,
    errorRate: frame.errorRate,
  };
}

export function positiveMs(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(name, value, 'Pass a positive whole number of milliseconds.');
  }
  return value;
}
