// Edge-safe entry: no Node built-ins, so it bundles for Workers, Deno, Bun and browsers.
export * from './errors.js';
export type * from './executor.js';
export { Script } from './script.js';
export { HttpExecutor, type HttpExecutorOptions } from './http/http-executor.js';
export { createTransport, fromEnv, type TransportEnv } from './transport.js';
export type { Transport, TransportOptions } from './transport-types.js';
export { registerTransport, type TransportFactory } from './plugins.js';
export { ValkeyTransport } from './valkey-transport.js';
export type * from './queue/types.js';
export type * from './gateway/registry-types.js';
export { Dispatcher, type DispatchOptions } from './gateway/dispatch.js';
export { RoutingCache, type RoutingSnapshot } from './gateway/routing-cache.js';
export { jsonError } from './gateway/error-responses.js';
export {
  serve,
  type RouteHandler,
  type ServeOptions,
  type ServiceInstance,
} from './gateway/serve.js';
export type { ReplyFrame, RequestFrame } from './gateway/frames.js';
export { bytesCodec, jsonCodec, textCodec, type Codec } from './codec.js';
export type * from './events/types.js';
export { ValkeyEventStream } from './events/event-stream.js';
export { streamEvents, type SseOptions } from './events/sse.js';
export type * from './tokens/types.js';
export { ValkeyTokenStore } from './tokens/token-store.js';
export {
  fromStoredResponse,
  storedResponseCodec,
  toStoredResponse,
  type StoredResponse,
} from './tokens/stored-response.js';
export type * from './cache/types.js';
export { ValkeyCache } from './cache/cache.js';
