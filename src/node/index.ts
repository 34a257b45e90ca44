// Node entry: everything in the edge entry, plus TCP (redis://, valkey://), the REST proxy and
// the service SDK's signal handling. Importing it registers the TCP schemes with createTransport.
import { registerTransport } from '../plugins.js';
import { ValkeyTransport } from '../valkey-transport.js';
import { TcpExecutor } from './tcp-executor.js';

export * from '../index.js';
export { TcpExecutor, type TcpExecutorOptions } from './tcp-executor.js';
export {
  ConnectionFactory,
  defaultConnectionFactory,
  type ConnectionOptions,
} from './connection-factory.js';
export { startProxy, type ProxyOptions, type RunningProxy } from './proxy/server.js';
// Shadows the edge `serve` re-exported above: in Node, instances also drain on SIGTERM.
export { serve, type NodeServeOptions } from './serve-signals.js';

registerTransport(['redis:', 'rediss:', 'valkey:', 'valkeys:'], (url, options) => {
  const executor = new TcpExecutor({ url: url.toString(), timeoutMs: options.timeoutMs });
  return new ValkeyTransport(executor, options.prefix);
});
