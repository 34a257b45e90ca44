/** Status an instance reports about itself in its heartbeats. */
export type ReportedStatus = 'Healthy' | 'Degraded' | 'Draining';

/** Status the gateway acts on: the reported one, downgraded when heartbeats stop arriving. */
export type Liveness = ReportedStatus | 'Unhealthy';

/** A route an instance serves. `path` may hold parameters (`/users/:id`) and wildcards (`*`). */
export interface Endpoint {
  method: string;
  path: string;
}

/** HELLO frame: an instance announces itself and its routes. */
export interface Hello {
  instanceId: string;
  service: string;
  version: string;
  region?: string;
  endpoints: Endpoint[];
}

/** HEARTBEAT frame: an instance reports that it lives, and its load. */
export interface Heartbeat {
  instanceId: string;
  status: ReportedStatus;
  /** Requests being handled now. */
  inFlight: number;
  /** Share of recent requests that failed, from 0 to 1. */
  errorRate: number;
}

/** One instance as the routing table shows it. */
export interface InstanceView extends Hello {
  liveness: Liveness;
  reported: ReportedStatus;
  inFlight: number;
  errorRate: number;
  /** Time since the last HELLO, heartbeat or endpoints update on the server clock, in ms. */
  silentForMs: number;
}

/** Every known instance, judged against the server clock at `serverTimeMs`. */
export interface RoutingTable {
  serverTimeMs: number;
  instances: InstanceView[];
}

export interface RegistryOptions {
  /** Silence after which a Healthy instance counts as Degraded, in ms. Default 15000. */
  degradedAfterMs?: number;
  /** Silence after which an instance is Unhealthy and gets no requests, in ms. Default 30000. */
  unhealthyAfterMs?: number;
  /**
   * Silence after which an instance's records are deleted, in ms. Every registry write and table
   * read deletes the records of instances silent for longer, and the registry keys themselves
   * expire this long after the last write. Default 120000.
   */
  expireAfterMs?: number;
}

/** Result of a heartbeat or endpoints update. */
export interface RegistryAck {
  /** False when the instance's records had expired: the instance must send HELLO again. */
  known: boolean;
  serverTimeMs: number;
}

/** The table of service instances, kept in Valkey so every gateway isolate sees the same one. */
export interface ServiceRegistry {
  /** Registers or re-registers an instance (HELLO). Returns the server time in ms. */
  hello(frame: Hello): Promise<number>;
  /** Records a heartbeat: the instance's status and load, and that it is alive. */
  heartbeat(frame: Heartbeat): Promise<RegistryAck>;
  /** Replaces the routes of a registered instance (ENDPOINTS_UPDATE). */
  updateEndpoints(instanceId: string, endpoints: Endpoint[]): Promise<RegistryAck>;
  /** Removes an instance at once (GOODBYE). */
  goodbye(instanceId: string): Promise<void>;
  /** Reads every instance and its liveness, deleting records that expired. */
  table(): Promise<RoutingTable>;
}
