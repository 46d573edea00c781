// What the declaration needs to know about each protocol preset: its name, well-known port and STARTTLS dialect.
//
// The probe dialog of each preset lives beside it in functions/probe/presets/<name>.ts, which spreads its row of this
// table into its descriptor. The table stays here, not there, because the domain validates declarations in the CDK
// app and the CLI and must stay pure: the probe modules work on sockets and Buffers (and http.ts imports node:net),
// which the domain may not import. Adding a preset: one row here, one file there, one line in its registry.

export const PRESET_TABLE = {
  ssh: { defaultPort: 22 },
  smtp: { defaultPort: 25, starttls: 'smtp' },
  imap: { defaultPort: 143, starttls: 'imap' },
  pop3: { defaultPort: 110, starttls: 'pop3' },
  ftp: { defaultPort: 21, starttls: 'ftp' },
  redis: { defaultPort: 6379 },
  memcached: { defaultPort: 11211 },
  postgres: { defaultPort: 5432, starttls: 'postgres' },
  mysql: { defaultPort: 3306 },
  http: { defaultPort: 80, tlsPort: 443 },
} as const satisfies Record<string, PresetFacts>;

export interface PresetFacts {
  /** The port `portquorum check HOST --preset NAME` probes when HOST has none. */
  readonly defaultPort: number;
  /** The well-known port when TLS is on, where it differs (https). @default defaultPort */
  readonly tlsPort?: number;
  /** The STARTTLS dialect the preset speaks; absent when it has none. */
  readonly starttls?: string;
}

export type PresetName = keyof typeof PRESET_TABLE;
export const PRESETS = /* @__PURE__ */ Object.keys(PRESET_TABLE) as [PresetName, ...PresetName[]];

type StarttlsOf<P> = P extends { starttls: infer S } ? S : never;
export type StarttlsProtocol = StarttlsOf<(typeof PRESET_TABLE)[PresetName]>;
export const STARTTLS_PROTOCOLS = /* @__PURE__ */ PRESETS.flatMap((name) => {
  const facts: PresetFacts = PRESET_TABLE[name];
  return facts.starttls === undefined ? [] : [facts.starttls as StarttlsProtocol];
}) as [StarttlsProtocol, ...StarttlsProtocol[]];

/** The STARTTLS dialect a preset speaks, or undefined when it has none. */
export function starttlsOf(preset: PresetName): StarttlsProtocol | undefined {
  const facts: PresetFacts = PRESET_TABLE[preset];
  return facts.starttls as StarttlsProtocol | undefined;
}

/** The port a preset's service listens on by default (with TLS where that differs). */
export function presetPort(preset: PresetName, tls: 'tls' | 'plain'): number {
  const facts: PresetFacts = PRESET_TABLE[preset];
  return tls === 'tls' ? (facts.tlsPort ?? facts.defaultPort) : facts.defaultPort;
}
