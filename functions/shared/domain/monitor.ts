// The monitor declaration's types and defaults, all derived from the schema (schema.ts), and the quorum default.
import { SCHEMA, type ResolvedMonitor } from './schema';

export type {
  ExpectSpec,  MaintenanceWindow, MonitorField, MonitorSpec, ResolvedMonitor, SendSpec,  
} from './schema';

/** Every default of a monitor field, read from the schema (nested ones under their object: `tls.minDaysValid`). */
type MonitorDefaults = Readonly<Partial<Omit<ResolvedMonitor, 'tls' | 'http'>>> & {
  readonly tls: NonNullable<ResolvedMonitor['tls']>;
  readonly http: { readonly method: string; readonly path: string; readonly status: number | readonly [number, number] };
};

/** The schema's defaults: `DEFAULTS.retries`, `DEFAULTS.timeoutMs`, `DEFAULTS.tls.minDaysValid`, `DEFAULTS.http.status`. */
export const DEFAULTS: MonitorDefaults = /* @__PURE__ */ monitorDefaults();

function monitorDefaults(): MonitorDefaults {
  const fields: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(SCHEMA.monitorFields)) {
    const parsed = schema.safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) fields[name] = parsed.data;
  }
  return { ...fields, tls: SCHEMA.tlsOptions.parse({}), http: SCHEMA.http.parse({}) } as MonitorDefaults;
}

/** Majority of n regions: 1→1, 2→2, 3→2, 4→3, 5→3. */
export function majority(regionCount: number): number {
  return Math.floor(regionCount / 2) + 1;
}
