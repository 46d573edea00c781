// The per-round DNS cache: each (host, family) resolves once per round, however many monitors use it.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Family } from '../../shared/domain';
import { isDefinitiveDnsAnswer } from './classify';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a name to every address of a family (0 = any). Injectable so tests can count look-ups. */
export type LookupFunction = (host: string, family: 0 | 4 | 6) => Promise<ResolvedAddress[]>;

/** A DNS cache that lives for one round. */
export interface RoundResolver {
  resolve(host: string, family: Family): Promise<ResolvedAddress[]>;
}

export interface RoundResolverOptions {
  /** @default node:dns/promises lookup with all addresses in the resolver's order */
  lookup?: LookupFunction;
}

/**
 * getaddrinfo runs on libuv's small thread pool (4 threads), so 1,000 monitors naming 10 hosts must not
 * mean 1,000 look-ups: the promise is shared per (host, family). Definitive answers (no such name, no
 * address of that family) stay cached for the round; transient failures (EAI_AGAIN, SERVFAIL) are
 * forgotten so that a retry asks again.
 */
export function createRoundResolver(options: RoundResolverOptions = {}): RoundResolver {
  const lookup = options.lookup ?? systemLookup;
  const cache = new Map<string, Promise<ResolvedAddress[]>>();
  return {
    resolve(host, family) {
      const familyNumber = family === 'ipv4' ? 4 : family === 'ipv6' ? 6 : 0;
      const key = `${host}|${familyNumber}`;
      let answer = cache.get(key);
      if (!answer) {
        answer = lookup(host, familyNumber).then((addresses) => {
          if (addresses.length === 0) throw Object.assign(new Error(`no ${family} address for ${host}`), { code: 'ENODATA' });
          return addresses;
        });
        answer.catch((error: { code?: string }) => {
          if (!isDefinitiveDnsAnswer(String(error?.code))) cache.delete(key);
        });
        cache.set(key, answer);
      }
      return answer;
    },
  };
}

async function systemLookup(host: string, family: 0 | 4 | 6): Promise<ResolvedAddress[]> {
  const answers = await dnsLookup(host, { all: true, family, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}
