import { InvalidArgumentError } from '../errors.js';
import type { CommandExecutor, Reply } from '../executor.js';
import { resourceKeys, validateName } from '../keys.js';
import { replyArray, replyNumber, replyText } from '../reply.js';
import { goodbyeScript, helloScript, tableScript, updateScript } from './registry-scripts.js';
import type {
  Endpoint,
  Heartbeat,
  Hello,
  InstanceView,
  Liveness,
  RegistryAck,
  RegistryOptions,
  ReportedStatus,
  RoutingTable,
  ServiceRegistry,
} from './registry-types.js';
import {
  positiveMs,
  validateEndpoints,
  validateHeartbeat,
  validateHello,
} from './registry-validation.js';

const ENDPOINTS_FIELD = 2;
const HEARTBEAT_FIELD = 3;

/** The service registry on Valkey; its four keys share the `{gw}` hash slot. */
export class ValkeyServiceRegistry implements ServiceRegistry {
  readonly #executor: CommandExecutor;
  readonly #keys: string[];
  readonly #degradedAfterMs: number;
  readonly #unhealthyAfterMs: number;
  readonly #expireAfterMs: number;

  constructor(executor: CommandExecutor, prefix: string, options: RegistryOptions = {}) {
    this.#executor = executor;
    const key = resourceKeys(prefix, 'gw');
    this.#keys = [key('instances'), key('endpoints'), key('heartbeats'), key('seen')];
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
    const { endpoints, ...hello } = validateHello(frame);
    const initial: Omit<Heartbeat, 'instanceId'> = { status: 'Healthy', inFlight: 0, errorRate: 0 };
    const now = await helloScript.run(this.#executor, this.#keys, [
      this.#expireAfterMs,
      hello.instanceId,
      JSON.stringify(hello),
      JSON.stringify(endpoints),
      JSON.stringify(initial),
    ]);
    return replyNumber(now, helloScript.name);
  }

  async heartbeat(frame: Heartbeat): Promise<RegistryAck> {
    const { instanceId, ...load } = validateHeartbeat(frame);
    return this.#update(instanceId, HEARTBEAT_FIELD, load);
  }

  async updateEndpoints(instanceId: string, endpoints: Endpoint[]): Promise<RegistryAck> {
    const id = validateName('instance id', instanceId);
    return this.#update(id, ENDPOINTS_FIELD, validateEndpoints(endpoints));
  }

  async goodbye(instanceId: string): Promise<void> {
    await goodbyeScript.run(this.#executor, this.#keys, [
      this.#expireAfterMs,
      validateName('instance id', instanceId),
    ]);
  }

  async table(): Promise<RoutingTable> {
    const reply = replyArray(
      await tableScript.run(this.#executor, this.#keys, [this.#expireAfterMs]),
      tableScript.name,
    );
    const serverTimeMs = replyNumber(reply[0] ?? null, tableScript.name);
    const instances: InstanceView[] = [];
    for (let i = 1; i + 4 < reply.length; i += 5) {
      instances.push(this.#view(serverTimeMs, reply.slice(i, i + 5)));
    }
    return { serverTimeMs, instances };
  }

  async #update(instanceId: string, field: number, value: unknown): Promise<RegistryAck> {
    const reply = await updateScript.run(this.#executor, this.#keys, [
      this.#expireAfterMs,
      instanceId,
      field,
      JSON.stringify(value),
    ]);
    const [known, now] = replyArray(reply, updateScript.name);
    return { known: known === 1, serverTimeMs: replyNumber(now ?? null, updateScript.name) };
  }

  /** Builds one instance's view from its five table entries: id, seen, HELLO, endpoints, beat. */
  #view(serverTimeMs: number, entry: readonly Reply[]): InstanceView {
    const text = (index: number) => replyText(entry[index] ?? null, tableScript.name);
    const seen = replyNumber(entry[1] ?? null, tableScript.name);
    const hello = JSON.parse(text(2)) as Omit<Hello, 'endpoints'>;
    const endpoints = JSON.parse(text(3)) as Endpoint[];
    const beat = JSON.parse(text(4)) as Partial<Omit<Heartbeat, 'instanceId'>>;
    const reported = beat.status ?? 'Healthy';
    const silentForMs = Math.max(0, serverTimeMs - seen);
    return {
      ...hello,
      endpoints,
      reported,
      inFlight: beat.inFlight ?? 0,
      errorRate: beat.errorRate ?? 0,
      silentForMs,
      liveness: this.#liveness(reported, silentForMs),
    };
  }

  #liveness(reported: ReportedStatus, silentForMs: number): Liveness {
    if (silentForMs >= this.#unhealthyAfterMs) return 'Unhealthy';
    if (silentForMs >= this.#degradedAfterMs && reported === 'Healthy') return 'Degraded';
    return reported;
  }
}
