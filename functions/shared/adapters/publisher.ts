// Alert delivery: the AlertPublisher seam, and its SNS implementation (subject, JSON body, filterable attributes),
// one alert per Publish or up to ten per PublishBatch.
import { PublishBatchCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { PublishError } from '../domain';
import { alertAttributes, type AlertMessage } from '../domain/alert';

/**
 * SNS PublishBatch's bounds: at most 10 entries, and at most 256 KiB (262,144 bytes) for all the entries' messages
 * together, bodies and attributes (the topic's default MaximumMessageSize; API reference, PublishBatch).
 */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 262_144;

/** What became of one entry of a batch: sent, or refused by SNS (the alert stays pending and is retried). */
export type BatchEntryResult = { ok: true } | { ok: false; error: string };

export interface AlertPublisher {
  /** Delivers one alert; throws PublishError when it could not (the alert stays pending and is retried). */
  publish(alert: AlertMessage): Promise<void>;
  /**
   * Delivers up to MAX_BATCH_ENTRIES alerts in one request (at most MAX_BATCH_BYTES together, see batchBytes), and
   * says for each, in the order given, whether it went. Throws PublishError when the request itself failed: then none
   * went. Absent: each alert goes with publish().
   */
  publishBatch?(alerts: readonly AlertMessage[]): Promise<BatchEntryResult[]>;
}

function snsPublishInput(topicArn: string, alert: AlertMessage) {
  return {
    TopicArn: topicArn,
    Subject: alert.subject,
    Message: JSON.stringify(alert),
    MessageAttributes: alertAttributes(alert),
  };
}

/**
 * What one alert adds to a batch's payload as SNS counts it: the body and every attribute's name, type and value
 * (UTF-8 bytes), and the subject besides, to be safe.
 */
export function batchBytes(alert: AlertMessage): number {
  const { Subject, Message, MessageAttributes } = snsPublishInput('', alert);
  let bytes = Buffer.byteLength(Message) + Buffer.byteLength(Subject);
  for (const [name, value] of Object.entries(MessageAttributes)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue ?? '');
  return bytes;
}

const describe = (alert: AlertMessage) => `${alert.alertId}#${alert.sequence} (${alert.kind} ${alert.monitor?.id ?? 'fleet'})`;

export class SnsPublisher implements AlertPublisher {
  constructor(private readonly client: SNSClient, private readonly topicArn: string) {}

  async publish(alert: AlertMessage): Promise<void> {
    try {
      await this.client.send(new PublishCommand(snsPublishInput(this.topicArn, alert)));
    } catch (error) {
      throw new PublishError(
        `Publishing alert ${describe(alert)} to ${this.topicArn} failed: ${(error as Error).message} (it stays pending; the sweeper retries it)`,
        { cause: error },
      );
    }
  }

  /** One PublishBatch request; each entry's Id is its position, and carries the same subject, body and attributes as Publish. */
  async publishBatch(alerts: readonly AlertMessage[]): Promise<BatchEntryResult[]> {
    let response;
    try {
      response = await this.client.send(new PublishBatchCommand({
        TopicArn: this.topicArn,
        PublishBatchRequestEntries: alerts.map((alert, index) => {
          const { TopicArn: _topic, ...entry } = snsPublishInput(this.topicArn, alert);
          return { Id: `a${index}`, ...entry };
        }),
      }));
    } catch (error) {
      throw new PublishError(
        `Publishing ${alerts.length} alerts in one batch to ${this.topicArn} failed, first ${alerts[0] ? describe(alerts[0]) : 'none'}: ${(error as Error).message} (they stay pending; the sweeper retries them)`,
        { cause: error },
      );
    }
    const sent = new Set((response.Successful ?? []).map((s) => s.Id));
    const failed = new Map((response.Failed ?? []).map((f) => [f.Id, `${f.Code ?? 'Failed'}: ${f.Message ?? 'no message'}${f.SenderFault ? ' (sender fault)' : ''}`]));
    return alerts.map((alert, index) => {
      const id = `a${index}`;
      if (sent.has(id) && !failed.has(id)) return { ok: true };
      return { ok: false, error: `Publishing alert ${describe(alert)} to ${this.topicArn} in a batch failed: ${failed.get(id) ?? 'SNS reported neither success nor failure for it'} (it stays pending; the sweeper retries it)` };
    });
  }
}
