// min/median/max over repeated runs, and the formatting every section shares.

export interface Spread {
  min: number;
  median: number;
  max: number;
  runs: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN, runs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** A number with about three significant digits (12,300 / 45.6 / 0.123). */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** `median (min–max)`. */
export function fmtSpread(s: Spread): string {
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(value >= 10 ? 0 : 1)}×` : 'n/a';
}
