// Where the local fleet's alerts go: the terminal, a JSON-lines file, an HTTP webhook — behind the same
// AlertPublisher seam the SNS adapter implements, so the real aggregator and sweeper publish to them unchanged.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PublishError, type AlertMessage } from '../../functions/shared/domain';
import { alertAttributes } from '../../functions/shared/domain/alert';
import type { AlertPublisher } from '../../functions/shared/adapters/publisher';
import { formatInstant, formatMs } from '../../functions/shared/domain/display';

/** One destination. `deliver` throws when the alert did not arrive there. */
export interface AlertSink {
  /** e.g. `terminal`, `file /tmp/alerts.jsonl`, `webhook http://127.0.0.1:8080/hook`. */
  readonly name: string;
  deliver(alert: AlertMessage): Promise<void>;
}

/** One line per alert, then one per region's evidence: what a person on call needs at a glance. */
export function alertLines(alert: AlertMessage): string[] {
  const lines = [`ALERT ${alert.subject}`];
  for (const r of alert.regions) {
    const detail = r.status === 'down' || r.status === 'vetoed'
      ? `${r.class ?? ''} in ${r.phase ?? '?'} (${r.code ?? ''})${r.latencyMs !== undefined ? ` after ${formatMs(r.latencyMs)}` : ''}`
      : r.latencyMs !== undefined ? formatMs(r.latencyMs) : '';
    lines.push(`      ${r.region.padEnd(16)} ${r.status.padEnd(7)} ${detail}`.trimEnd());
  }
  if (alert.fleet) {
    const f = alert.fleet;
    if (f.silentRegions.length) lines.push(`      silent: ${f.silentRegions.join(', ')}`);
    if (f.vetoedRegions.length) lines.push(`      canary failing: ${f.vetoedRegions.join(', ')}`);
    if (f.recoveredRegions.length) lines.push(`      back: ${f.recoveredRegions.join(', ')}`);
    if (f.unknownMonitors.length) lines.push(`      monitors without quorum: ${f.unknownMonitors.join(', ')}`);
  }
  if (alert.home) {
    const h = alert.home;
    lines.push(`      heartbeat of ${h.homeRegion}: last ${h.lastHeartbeat ? formatInstant(h.lastHeartbeat, Date.parse(alert.at)) : 'unreadable'} (stale after ${h.staleAfterSeconds} s)`);
    if (h.staleRegions.length) lines.push(`      stale in: ${h.staleRegions.join(', ')} (quorum ${h.quorum})`);
    if (h.freshRegions.length) lines.push(`      fresh in: ${h.freshRegions.join(', ')}`);
  }
  if (alert.exposure) {
    for (const p of alert.exposure.paths) lines.push(`      reached from ${p.region} at ${p.address}${p.answered !== undefined ? `, answered '${p.answered}'` : ''}`);
  }
  if (alert.incident) {
    const i = alert.incident;
    lines.push(`      ${i.fact.text}; ${i.downCount} of ${i.memberCount} down`);
    for (const m of i.members) {
      const how = m.via === 'dependsOn' ? ` (depends on ${m.dependsOn})` : '';
      const back = m.recovered !== undefined ? `, back ${formatInstant(m.recovered, Date.parse(alert.at))}` : '';
      lines.push(`      ${m.monitor.padEnd(16)} ${m.status.padEnd(5)} ${m.evidence}${how}${back}`.trimEnd());
    }
    if (i.unlisted) lines.push(`      and ${i.unlisted} more: ${i.fullList}`);
  }
  if (alert.reach) {
    const r = alert.reach;
    const judged = r.expect === 'closed' ? 'any one region' : `quorum ${r.quorum}`;
    lines.push(`      from ${r.group}: expected ${r.expect}, ${r.restored !== undefined ? `${r.expect} again (was ${r.found})` : `found ${r.found}`} (${judged})`);
    for (const g of r.regions) {
      const detail = g.status === 'down' || g.status === 'vetoed' ? `${g.class ?? ''} (${g.code ?? ''})${g.code === 'EXPECTED_CLOSED' && g.message ? `: ${g.message}` : ''}` : '';
      lines.push(`      ${`${g.region}/${r.group}`.padEnd(16)} ${g.status.padEnd(7)} ${detail}`.trimEnd());
    }
  }
  if (alert.divergence) {
    for (const v of alert.divergence.views) lines.push(`      ${v.region.padEnd(16)} sees ${v.view}`);
  }
  if (alert.flapping) {
    const f = alert.flapping;
    lines.push(`      ${f.percent} % state change over 21 rounds (enter ${f.enterPercent} %, leave ${f.leavePercent} %): ${f.transitions.map((t) => `${t.round.slice(11, 19)} ${t.to}`).join(', ')}`);
  }
  lines.push(`      alert id ${alert.alertId}${alert.sequence > 0 ? ` #${alert.sequence}` : ''}, since ${formatInstant(alert.since, Date.parse(alert.at))}`);
  return lines;
}

export class TerminalSink implements AlertSink {
  readonly name = 'terminal';
  constructor(private readonly show: (alert: AlertMessage) => void) {}
  async deliver(alert: AlertMessage): Promise<void> {
    this.show(alert);
  }
}

/** Appends each alert as one JSON line — exactly the body SNS subscribers receive. */
export class JsonLinesSink implements AlertSink {
  readonly name: string;
  private ready: Promise<unknown> | undefined;
  constructor(private readonly path: string) {
    this.name = `file ${path}`;
  }
  async deliver(alert: AlertMessage): Promise<void> {
    this.ready ??= mkdir(dirname(this.path), { recursive: true });
    await this.ready;
    await appendFile(this.path, `${JSON.stringify(alert)}\n`);
  }
}

/**
 * POSTs the alert as JSON (the SNS body, plus `text` = the subject, which chat incoming webhooks display).
 * Anything but a 2xx answer within the timeout is a failed delivery.
 */
export class WebhookSink implements AlertSink {
  readonly name: string;
  constructor(private readonly url: URL, private readonly timeoutMs = 5000) {
    this.name = `webhook ${url.href}`;
  }
  deliver(alert: AlertMessage): Promise<void> {
    const body = JSON.stringify({ text: alert.subject, ...alert });
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(this.url, {
        method: 'POST',
        timeout: this.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'portquorum-local',
          'x-portquorum-alert-kind': alert.kind,
          // The SNS message attributes, as a subscription's filter policy sees them (a TEST alert's included),
          // percent-encoded (a header carries ASCII only).
          ...Object.fromEntries(Object.entries(alertAttributes(alert)).map(([name, a]) => [`x-portquorum-attribute-${name.toLowerCase()}`, encodeURIComponent(a.StringValue)])),
        },
      }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`answered HTTP ${status}`));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/**
 * Delivers every alert to every sink. A sink that fails makes publish throw PublishError, so the alert stays
 * pending and the sweeper retries it; sinks that already have it are not given it twice by this process.
 */
export class FanOutPublisher implements AlertPublisher {
  private readonly delivered = new Map<string, Set<string>>();
  /** Set by `portquorum local fault sns down`: why every delivery fails (as SNS in an outage), until cleared. */
  failing: string | undefined;

  constructor(readonly sinks: AlertSink[], private readonly onFailure: (sink: AlertSink, alert: AlertMessage, error: Error) => void = () => {}) {}

  async publish(alert: AlertMessage): Promise<void> {
    const key = `${alert.alertId}#${alert.sequence}`;
    const done = this.delivered.get(key) ?? new Set<string>();
    this.delivered.set(key, done);
    const failures: string[] = [];
    const failing = this.failing;
    await Promise.all(this.sinks.filter((sink) => !done.has(sink.name)).map(async (sink) => {
      try {
        if (failing !== undefined) throw new Error(failing);
        await sink.deliver(alert);
        done.add(sink.name);
      } catch (error) {
        failures.push(`${sink.name}: ${(error as Error).message}`);
        this.onFailure(sink, alert, error as Error);
      }
    }));
    if (failures.length > 0) {
      throw new PublishError(
        `Delivering alert ${key} (${alert.kind} ${alert.monitor?.id ?? 'fleet'}) failed at ${failures.join('; ')} (it stays pending; the sweeper retries it)`,
      );
    }
    // Bounded memory: ids of alerts every sink has are no longer needed once a few hundred newer ones exist.
    if (this.delivered.size > 1000) {
      for (const k of [...this.delivered.keys()].slice(0, 500)) this.delivered.delete(k);
    }
  }
}
