// portquorum's errors: one base class, and one subclass per layer — config (bad declarations or environment),
// probe (rounds a probe invocation could not write), store (DynamoDB), publish (SNS, local sinks).
// A target failing is not an error: it is a probe outcome (outcome.ts).

/** Every error portquorum throws on purpose; anything else is a bug. */
export abstract class PortquorumError extends Error {}

/** One problem with one monitor's declaration: which monitor, which field, what is wrong and the fix. */
export interface ConfigProblem {
  /** The monitor's id, or `fleet` for fleet-wide settings. */
  monitor: string;
  /** Dotted path of the field, e.g. `tls.minDaysValid`. */
  field: string;
  /** The full human message, e.g. `Monitor 'orders-db': quorum 4 is more than the 3 regions that probe it (set quorum ≤ 3 or add regions)`. */
  message: string;
}

/** Thrown when monitor or fleet declarations (or a function's environment) are invalid; lists every problem at once. */
export class ConfigError extends PortquorumError {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      problems.length === 1
        ? problems[0]!.message
        : `${problems.length} problems in the monitor declarations:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`,
    );
  }
}

/** What became of one round of a probe invocation: written, skipped (started too late to probe), or its write failed. */
const ROUND_STATUSES = ['written', 'skipped', 'failed'] as const;
export type RoundStatus = (typeof ROUND_STATUSES)[number];

/** A round a probe invocation did not write, and why. */
export interface UnwrittenRound {
  /** The round's instant (ISO 8601). */
  instant: string;
  status: Exclude<RoundStatus, 'written'>;
  /** What happened, naming the region and round. */
  reason: string;
}

/**
 * Thrown by a probe invocation that left rounds of its minute unwritten, after writing the others: failing the
 * invocation makes it visible (Lambda's Errors metric), while the region counts as silent for those rounds.
 */
export class RoundsNotWrittenError extends PortquorumError {
  override readonly name = 'RoundsNotWrittenError';
  constructor(readonly probe: string, readonly rounds: readonly UnwrittenRound[]) {
    super(`Probe ${probe}: ${rounds.length} round(s) not written:\n  ${rounds.map((r) => r.reason).join('\n  ')}`);
  }
}

/** A failure to read or write the results/state table. */
export class StoreError extends PortquorumError {
  override readonly name = 'StoreError';
}

/** A failure to publish an alert (SNS, webhook, file). The alert stays pending and is retried. */
export class PublishError extends PortquorumError {
  override readonly name = 'PublishError';
}
