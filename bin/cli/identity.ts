// Who is running a command, for the `by` of silences and acks: the AWS caller (deployed), the OS user (local).
import { userInfo } from 'node:os';
import type { OpenedTable } from './table-access';

/**
 * The caller's identity: with --region, the ARN STS GetCallerIdentity gives for the user's credentials (the
 * credentials that write the table); otherwise (the local fleet, an --endpoint) the OS user name, and nothing
 * contacts AWS.
 */
export async function callerIdentity(opened: Pick<OpenedTable, 'region'>): Promise<string> {
  if (opened.region === undefined) {
    try {
      return userInfo().username;
    } catch {
      return process.env.USER ?? process.env.LOGNAME ?? 'unknown';
    }
  }
  // Loaded only for a deployed fleet: local commands never load the STS client.
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({ region: opened.region });
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    return identity.Arn ?? identity.UserId ?? 'unknown';
  } finally {
    sts.destroy();
  }
}
