import { InvalidArgumentError } from '../errors.js';
import type { CommandExecutor } from '../executor.js';
import { resourceKeys, validateName } from '../keys.js';
import { replyArray, replyNumber, replyText } from '../reply.js';
import { validateSegment } from './service-queue.js';
import { goodbyeScript, heartbeatScript, helloScript, tableScript } from './registry-scripts.js';
import type {
  Endpoint,
  Heartbeat,
  Hello,
  InstanceView,
  Liveness,
  RegistryOptions,
  ReportedStatus,
  RoutingTable,
  ServiceRegistry,
} from './registry-types.js';

const STATUSES: readonly ReportedStatus[] = ['Healthy', 'Degraded', 'Draining'];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'ALL']);

/** The service registry on Valkey; its three keys share the `{gw}` hash slot. */
export class ValkeyServiceRegistry implements ServiceRegistry {
  readonly #executor: CommandExecutor;
  readonly #keys: string[];
  readonly #degradedAfterMs: number;
  readonly #unhealthyAfterMs: number;
  readonly #expireAfterMs: number;

  constructor(executor: CommandExecutor, prefix: string, options: RegistryOptions = {}) {
    this.#executor = executor;
    const key = resourceKeys(prefix, 'gw');
    this.#keys = [key('instances'), key('heartbeats'), key('seen')];
    this.#degradedAfterMs = positiveMs('degradedAfterMs', options.degradedAfterMs ?? 15_000);
    this.#unhealthyAfterMs = positiveMs('unhealthyAfterMs', options.unhealthyAfterMs ?? 30_000);
    this.#expireAfterMs = positiveMs('expireAfterMs', options.expireAfterMs ?? 120_000);
    if (
      this.#unhealthyAfterMs < this.#degradedAfterMs ||
      this.#expireAfterMs < this.#unhealthyAfterMs
    ) {
      throw new InvalidArgumentError(
        'liveness thresholds',
        {
          degradedAfterMs: this.#degradedAfterMs,
          unhealthyAfterMs: this.#unhealthyAfterMs,
          expireAfterMs: this.#expireAfterMs,
        },
        'They must grow: degradedAfterMs <= unhealthyAfterMs <= expireAfterMs.',
      );
    }
  }

  async hello(frame: Hello): Promise<number> {
    const hello = validateHello(frame);
    const initial: Omit<Heartbeat, 'instanceId'> = { status: 'Healthy', inFlight: 0, errorRate: 0 };
    const now = await helloScript.run(this.#executor, this.#keys, [
      hello.instanceId,
      JSON.stringify(hello),
      JSON.stringify(initial),
    ]);
    return replyNumber(now, helloScript.name);
  }

  async heartbeat(frame: Heartbeat): Promise<{ known: boolean; serverTimeMs: number }> {
    const beat = validateHeartbeat(frame);
    const { instanceId, ...load } = beat;
    const reply = await heartbeatScript.run(this.#executor, this.#keys, [
      instanceId,
      JSON.stringify(load),
    ]);
    const [known, now] = replyArray(reply, heartbeatScript.name);
    return { known: known === 1, serverTimeMs: replyNumber(now ?? null, heartbeatScript.name) };
  }

  async goodbye(instanceId: string): Promise<void> {
    await goodbyeScript.run(this.#executor, this.#keys, [validateName('instance id', instanceId)]);
  }

  async table(): Promise<RoutingTable> {
    const reply = replyArray(
      await tableScript.run(this.#executor, this.#keys, [this.#expireAfterMs]),
      tableScript.name,
    );
    const serverTimeMs = replyNumber(reply[0] ?? null, tableScript.name);
    const instances: InstanceView[] = [];
    for (let i = 1; i + 3 < reply.length; i += 4) {
      const seen = replyNumber(reply[i + 1]!, tableScript.name);
      const hello = JSON.parse(replyText(reply[i + 2]!, tableScript.name)) as Hello;
      const beat = JSON.parse(replyText(reply[i + 3]!, tableScript.name)) as Omit<
        Heartbeat,
        'instanceId'
      >;
      const silentForMs = Math.max(0, serverTimeMs - seen);
      instances.push({
        ...hello,
        reported: beat.status ?? 'Healthy',
        inFlight: beat.inFlight ?? 0,
        errorRate: beat.errorRate ?? 0,
        silentForMs,
        liveness: this.#liveness(beat.status ?? 'Healthy', silentForMs),
      });
    }
    return { serverTimeMs, instances };
  }

  #liveness(reported: ReportedStatus, silentForMs: number): Liveness {
    if (silentForMs >= this.#unhealthyAfterMs) return 'Unhealthy';
    if (silentForMs >= this.#degradedAfterMs && reported === 'Healthy') return 'Degraded';
    return reported;
  }
}

function validateHello(frame: Hello): Hello {
  if (frame === null || typeof frame !== 'object') {
    throw new InvalidArgumentError(
      'HELLO frame',
      frame,
      'Pass {instanceId, service, version, endpoints}.',
    );
  }
  if (!Array.isArray(frame.endpoints)) {
    throw new InvalidArgumentError(
      'HELLO endpoints',
      frame.endpoints,
      'Pass an array of {method, path}.',
    );
  }
  return {
    instanceId: validateName('instance id', frame.instanceId),
    service: validateSegment('service name', frame.service),
    version: validateSegment('service version', frame.version),
    region: frame.region === undefined ? undefined : validateName('region', frame.region),
    endpoints: frame.endpoints.map(validateEndpoint),
  };
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
      'Paths start with "/", e.g. "/users/:id".',
    );
  }
  return { method, path: endpoint.path };
}

function validateHeartbeat(frame: Heartbeat): Heartbeat {
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

function positiveMs(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(name, value, 'Pass a positive whole number of milliseconds.');
  }
  return value;
}
