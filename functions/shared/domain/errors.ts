// One error class per layer: config (bad declarations), probe, store (DynamoDB), publish (SNS/sinks).

/** One problem with one monitor's declaration: which monitor, which field, what is wrong and the fix. */
export interface ConfigProblem {
  /** The monitor's id, or `fleet` for fleet-wide settings. */
  monitor: string;
  /** Dotted path of the field, e.g. `tls.minDaysValid`. */
  field: string;
  /** The full human message, e.g. `Monitor 'orders-db': quorum 4 is more than the 3 regions that probe it (set quorum ≤ 3 or add regions)`. */
  message: string;
}

/** Thrown when monitor or fleet declarations are invalid; lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      problems.length === 1
        ? problems[0]!.message
        : `${problems.length} problems in the monitor declarations:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`,
    );
  }
}

/** A failure of the probe machinery itself (not of a target: targets failing are outcomes, not errors). */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A failure to read or write the results/state table. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A failure to publish an alert (SNS, webhook, file). The alert stays pending and is retried. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
