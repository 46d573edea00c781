// Alert delivery: the AlertPublisher seam, and its SNS implementation (subject, JSON body, filterable attributes).
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { PublishError } from '../domain';
import { alertAttributes, type AlertMessage } from '../domain/alert';

export interface AlertPublisher {
  /** Delivers one alert; throws PublishError when it could not (the alert stays pending and is retried). */
  publish(alert: AlertMessage): Promise<void>;
}

function snsPublishInput(topicArn: string, alert: AlertMessage) {
  return {
    TopicArn: topicArn,
    Subject: alert.subject,
    Message: JSON.stringify(alert),
    MessageAttributes: alertAttributes(alert),
  };
}

export class SnsPublisher implements AlertPublisher {
  constructor(private readonly client: SNSClient, private readonly topicArn: string) {}

  async publish(alert: AlertMessage): Promise<void> {
    try {
      await this.client.send(new PublishCommand(snsPublishInput(this.topicArn, alert)));
    } catch (error) {
      throw new PublishError(
        `Publishing alert ${alert.alertId}#${alert.sequence} (${alert.kind} ${alert.monitor?.id ?? 'fleet'}) to ${this.topicArn} failed: ${(error as Error).message} (it stays pending; the sweeper retries it)`,
        { cause: error },
      );
    }
  }
}
