import * as crypto from 'node:crypto';
import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '../../errors.js';

/** One accepted token and what it may do. */
export interface TokenGrant {
  /** The bearer token; at least 16 characters. Never logged. */
  token: string;
  /** Valkey ACL user that this token's commands run as. Default: the user in the Valkey URL. */
  user?: string;
  /** Password of `user`. Never logged. */
  password?: string;
  /** Allow read commands only (see read-commands.ts). Default false. */
  readOnly?: boolean;
  /** Label for logs. Default: the ACL user, else "token-<n>". */
  name?: string;
}

/** A grant after validation: every field filled in. */
export interface Grant {
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly readOnly: boolean;
  readonly name: string;
}

const MIN_TOKEN_LENGTH = 16;

/** Matches request tokens against the configured ones in constant time. */
export class TokenTable {
  readonly #entries: { digest: Buffer; grant: Grant }[];

  constructor(grants: readonly (string | TokenGrant)[]) {
    if (grants.length === 0) {
      throw new InvalidArgumentError('tokens', [], 'Configure at least one token.');
    }
    this.#entries = grants.map((raw, index) => {
      const grant = typeof raw === 'string' ? { token: raw } : raw;
      if (typeof grant.token !== 'string' || grant.token.length < MIN_TOKEN_LENGTH) {
        throw new InvalidArgumentError(
          `token ${index + 1}`,
          `<${String(grant.token?.length ?? 0)} characters>`,
          `Use a random token of at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`).`,
        );
      }
      return {
        digest: digest(grant.token),
        grant: {
          user: grant.user,
          password: grant.password,
          readOnly: grant.readOnly ?? false,
          name: grant.name ?? grant.user ?? `token-${index + 1}`,
        },
      };
    });
  }

  /** Every grant, for opening the connections of each ACL user. */
  get grants(): Grant[] {
    return this.#entries.map((entry) => entry.grant);
  }

  /**
   * Returns the grant for `token`, or undefined. Both sides are hashed first, so the comparison
   * works on equal lengths, and every configured token is compared, so the time taken reveals
   * neither which token matched nor how long the tokens are.
   */
  find(token: string | undefined): Grant | undefined {
    if (!token) return undefined;
    const candidate = digest(token);
    let found: Grant | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, candidate)) found = entry.grant;
    }
    return found;
  }
}

/**
 * Reads the token from `Authorization: Bearer ...` or, without that header, from the `_token`
 * query parameter (`query` is the text after `?`).
 */
export function requestToken(authorization: string | undefined, query: string): string | undefined {
  if (authorization !== undefined) {
    const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  if (!query) return undefined;
  return new URLSearchParams(query).get('_token') ?? undefined;
}

// One-shot hashing (Node 20.12+) skips the Hash object that createHash allocates per request.
const oneShot = (
  crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }
).hash;

function digest(token: string): Buffer {
  return oneShot ? oneShot('sha256', token, 'buffer') : createHash('sha256').update(token).digest();
}
