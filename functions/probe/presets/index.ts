// The preset registry: one descriptor per protocol (facts and dialog), looked up by the monitor's preset (or starttls) name.
import type { PresetName, StarttlsProtocol } from '../../shared/domain';
import { ftp } from './ftp';
import { http } from './http';
import { imap } from './imap';
import { memcached } from './memcached';
import { mysql } from './mysql';
import { pop3 } from './pop3';
import { postgres } from './postgres';
import { redis } from './redis';
import { smtp } from './smtp';
import { ssh } from './ssh';
import type { Preset } from './types';

export type {  Preset,    } from './types';

/** Every preset of the domain's table, whole; `satisfies` makes a preset without a dialog (or a stray one) a type error. */
export const PRESET_REGISTRY: Readonly<Record<PresetName, Preset>> = {
  ssh, smtp, imap, pop3, ftp, redis, memcached, postgres, mysql, http,
} satisfies Record<PresetName, Preset>;

export function presetFor(name: PresetName | StarttlsProtocol | undefined): Preset | undefined {
  return name === undefined ? undefined : PRESET_REGISTRY[name];
}
