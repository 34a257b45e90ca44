import { InvalidArgumentError } from '../errors.js';
import type { ValkeyTransport } from '../valkey-transport.js';
import type { ReportedStatus } from './registry-types.js';
import type { RouteHandler } from './service-routes.js';

export interface ServeOptions {
  transport: ValkeyTransport;
  service: string;
  version: string;
  region?: string;
  /** Unique id of this instance. Default: a random UUID. */
  instanceId?: string;
  /** Handlers keyed by `"METHOD /path"`, e.g. `"GET /users/:id"`; method `ALL` matches any. */
  routes: Record<string, RouteHandler>;
  /** Requests handled at once. Default 8. */
  concurrency?: number;
  /** Interval between heartbeats, in ms. Default 5000. */
  heartbeatMs?: number;
  /**
   * Lease on a request, in ms: a request whose instance dies is retried by another instance once
   * this passes (within the request's deadline). Renewed every third of it while the handler
   * runs. Default 5000.
   */
  leaseMs?: number;
  /**
   * Longest wait for a new request before the instance leases again, in ms; leases of dead
   * instances are taken over at that pace. Default 1000.
   */
  pollMs?: number;
  /** Delay before a Degraded instance leases, so Healthy ones claim requests first, in ms. Default 20. */
  degradedDelayMs?: number;
  /** Share of failed requests (of the last 100) at which the instance reports Degraded. Default 0.5. */
  degradedErrorRate?: number;
  /** The instance's own health check, asked at every heartbeat. Default: always Healthy. */
  health?: () => 'Healthy' | 'Degraded';
  /**
   * Silence after which the gateway counts the instance Unhealthy, in ms; set it as the gateway's
   * registry does. An instance whose heartbeats went unacknowledged for this long stops taking
   * requests until one succeeds, since the gateway no longer routes to it. Default 30000.
   */
  unhealthyAfterMs?: number;
  /** Receives errors the instance survives (a failed heartbeat, a lost lease). Default: ignored. */
  onError?: (error: unknown) => void;
}

/** A running service instance. */
export interface ServiceInstance {
  readonly instanceId: string;
  /** Requests being handled now. */
  readonly inFlight: number;
  /** The status the next heartbeat reports. */
  readonly status: ReportedStatus;
  /** Replaces the handlers and announces the new routes (ENDPOINTS_UPDATE). */
  setRoutes(routes: Record<string, RouteHandler>): Promise<void>;
  /**
   * Drains: reports Draining, stops taking requests, finishes those in flight while renewing their
   * leases and heartbeating, then sends GOODBYE.
   */
  stop(): Promise<void>;
}

/** Numeric settings with their defaults applied, each checked. */
export function resolveSettings(options: ServeOptions) {
  return {
    concurrency: integerAtLeast('concurrency', options.concurrency ?? 8, 1),
    heartbeatMs: integerAtLeast('heartbeatMs', options.heartbeatMs ?? 5000, 10),
    leaseMs: integerAtLeast('leaseMs', options.leaseMs ?? 5000, 30),
    pollMs: integerAtLeast('pollMs', options.pollMs ?? 1000, 10),
    degradedDelayMs: integerAtLeast('degradedDelayMs', options.degradedDelayMs ?? 20, 0),
    degradedErrorRate: share('degradedErrorRate', options.degradedErrorRate ?? 0.5),
    unhealthyAfterMs: integerAtLeast('unhealthyAfterMs', options.unhealthyAfterMs ?? 30_000, 1),
  };
}

function integerAtLeast(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(name, value, `Pass an integer of at least ${min}.`);
  }
  return value;
}

function share(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new InvalidArgumentError(name, value, 'Pass a share above 0 and at most 1.');
  }
  return value;
}
