import { createHash, timingSafeEqual } from 'node:crypto';

/** One accepted token and what it may do. */
export interface TokenGrant {
  token: string;
  /** Only read commands are allowed. */
  readOnly?: boolean;
}

/** Matches request tokens against the configured ones in constant time. */
export class TokenTable {
  readonly #grants: { digest: Buffer; grant: TokenGrant }[];

  constructor(grants: readonly TokenGrant[]) {
    this.#grants = grants.map((grant) => ({ digest: digest(grant.token), grant }));
  }

  /**
   * Returns the grant for `token`, or undefined. Hashing both sides first gives equal-length
   * inputs, and every configured token is compared, so timing reveals neither length nor match.
   */
  find(token: string | undefined): TokenGrant | undefined {
    if (!token) return undefined;
    const candidate = digest(token);
    let found: TokenGrant | undefined;
    for (const entry of this.#grants) {
      if (timingSafeEqual(entry.digest, candidate)) found = entry.grant;
    }
    return found;
  }
}

/** Reads the token from `Authorization: Bearer ...` or the `_token` query parameter. */
export function requestToken(authorization: string | undefined, url: string): string | undefined {
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match?.[1];
  }
  return new URL(url).searchParams.get('_token') ?? undefined;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
