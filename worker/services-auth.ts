import type { Context, Next } from 'hono';
import { jsonError } from '../src/index.js';

/**
 * Guards `/services`, whose routing table names every instance, endpoint and error rate. It
 * needs `Authorization: Bearer <SERVICES_TOKEN>`. Without the `SERVICES_TOKEN` secret the path
 * is off (404), so a deployment does not publish its topology by accident.
 */
export async function requireServicesToken(
  c: Context<{ Bindings: { SERVICES_TOKEN?: string } }>,
  next: Next,
): Promise<Response | void> {
  const expected = c.env.SERVICES_TOKEN;
  if (!expected) {
    return jsonError(404, 'The routing table is off; set the SERVICES_TOKEN secret to serve it.');
  }
  // HTTP authentication schemes are case-insensitive, so this accepts "bearer" as the proxy does.
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
  const presented = match?.[1] ?? '';
  if (!(await sameSecret(presented, expected))) {
    return jsonError(
      401,
      'Pass "Authorization: Bearer <SERVICES_TOKEN>" to read the routing table.',
    );
  }
  await next();
}

/** Compares two secrets in constant time by comparing their SHA-256 digests. */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [x, y] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  const left = new Uint8Array(x);
  const right = new Uint8Array(y);
  let difference = 0;
  for (let i = 0; i < left.length; i++) difference |= left[i]! ^ right[i]!;
  return difference === 0;
}
