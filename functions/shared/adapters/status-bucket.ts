// The status page's bucket: the page and its JSON, written by the sweeper only when their content changed.
import type { S3Client } from '@aws-sdk/client-s3';
import { StoreError } from '../domain';
import { STATUS_OBJECTS } from '../deployment';

/** The S3 client is loaded on first use: a fleet without a status page never pays for it at cold start. */
const s3Module = () => import('@aws-sdk/client-s3');

/** Object metadata holding the hash of the page's content (x-amz-meta-content-hash). */
const HASH_METADATA = 'content-hash';
/** Browsers and CloudFront keep a copy this long: a change shows within a minute, and repeat visits cost nothing. */
const CACHE_CONTROL = 'public, max-age=60';

export interface PageObjects {
  html: string;
  json: string;
  /** Hash of the content the page shows (not of when it was rendered). */
  hash: string;
}

/** Where the sweeper puts the page (S3 deployed; a test's loopback S3 server). */
export interface StatusPageSink {
  /** The hash and write time of the page there now, or undefined when there is none. */
  current(): Promise<{ hash: string; at: number } | undefined>;
  write(objects: PageObjects): Promise<void>;
}

export class S3StatusPage implements StatusPageSink {
  private client: S3Client | undefined;

  /** `client` as the caller configured it (a test's endpoint), else one for `region` made on first use. */
  constructor(readonly bucket: string, private readonly options: { region?: string; client?: S3Client }) {
    this.client = options.client;
  }

  private async s3(): Promise<S3Client> {
    this.client ??= new (await s3Module()).S3Client({ ...(this.options.region ? { region: this.options.region } : {}), maxAttempts: 4 });
    return this.client;
  }

  async current(): Promise<{ hash: string; at: number } | undefined> {
    const { HeadObjectCommand, NotFound } = await s3Module();
    try {
      const head = await (await this.s3()).send(new HeadObjectCommand({ Bucket: this.bucket, Key: STATUS_OBJECTS.page }));
      const hash = head.Metadata?.[HASH_METADATA];
      return hash ? { hash, at: head.LastModified?.getTime() ?? 0 } : undefined;
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return undefined;
      throw new StoreError(`Reading the status page in bucket ${this.bucket} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async write({ html, json, hash }: PageObjects): Promise<void> {
    const { PutObjectCommand } = await s3Module();
    const s3 = await this.s3();
    // The data first: a visitor who sees the new page finds its data there already.
    for (const [key, body, type] of [[STATUS_OBJECTS.data, json, 'application/json; charset=utf-8'], [STATUS_OBJECTS.page, html, 'text/html; charset=utf-8']] as const) {
      try {
        await s3.send(new PutObjectCommand({
          Bucket: this.bucket, Key: key, Body: body, ContentType: type, CacheControl: CACHE_CONTROL, Metadata: { [HASH_METADATA]: hash },
        }));
      } catch (error) {
        throw new StoreError(`Writing ${key} of the status page to bucket ${this.bucket} failed: ${(error as Error).message}`, { cause: error });
      }
    }
  }
}
