import { InvalidArgumentError } from './errors.js';
import type { Transport, TransportOptions } from './transport-types.js';

/** Creates a transport for a URL whose scheme a plugin registered. */
export type TransportFactory = (url: URL, options: TransportOptions) => Transport;

const factories = new Map<string, TransportFactory>();

/**
 * Registers a transport for URL schemes (with the trailing colon, e.g. `'nats:'`), so that
 * `createTransport` hands such URLs to it. A later registration of a scheme replaces the earlier.
 */
export function registerTransport(schemes: readonly string[], factory: TransportFactory): void {
  for (const scheme of schemes) {
    if (!/^[a-z][a-z0-9+.-]*:$/.test(scheme)) {
      throw new InvalidArgumentError(
        'URL scheme',
        scheme,
        'Pass a lower-case scheme with its colon, e.g. "nats:".',
      );
    }
    factories.set(scheme, factory);
  }
}

/** Returns the factory registered for a scheme, if any. */
export function transportFactoryFor(scheme: string): TransportFactory | undefined {
  return factories.get(scheme);
}
