/**
 * @module The S3 store (AWS S3, Ceph RGW, Swift's s3api): multipart uploads streamed part by part,
 * so memory stays bounded by part size × parts in flight; an upload that fails is aborted, so no
 * object appears. Locators are object keys.
 */
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { BlobMissing, type BlobStore, type ByteRange, type ListedObject, type StoredObject, type WriteOptions } from './blob-store.js';

export interface S3StoreSettings {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  prefix: string;
  partSizeBytes: number;
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private bucketReady: Promise<void> | undefined;

  constructor(private readonly settings: S3StoreSettings) {
    const config: S3ClientConfig = {
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      // Streamed bodies would otherwise go aws-chunked with trailing checksums, which Ceph and
      // Swift's s3api refuse (501); our own digests cover integrity.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    };
    this.client = new S3Client(config);
    // s3api (Swift) insists on Content-MD5 for batch deletes, which the SDK no longer sends.
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const request = args.request as { body?: unknown; headers?: Record<string, string> };
        if (context.commandName === 'DeleteObjectsCommand' && typeof request.body === 'string' && request.headers) {
          request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
        }
        return next(args);
      },
      { step: 'build', name: 'contentMd5ForDeleteObjects' },
    );
  }

  /** Creates the bucket on first use when it does not exist. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
      } catch {
        await this.client.send(new CreateBucketCommand({ Bucket: this.settings.bucket }));
      }
    })().catch((err: unknown) => {
      this.bucketReady = undefined;
      throw err;
    });
    return this.bucketReady;
  }

  async write(body: Readable, opts: WriteOptions): Promise<StoredObject> {
    await this.ensureBucket();
    const key = `${this.settings.prefix}${opts.key}`;
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: key, Body: body, ContentType: opts.contentType ?? 'application/octet-stream' },
      partSize: this.settings.partSizeBytes,
      queueSize: 2,
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort().catch(() => {});
    opts.signal.addEventListener('abort', abort, { once: true });
    // A failed stream must abort the multipart upload, or its parts would linger unseen.
    body.once('error', abort);
    try {
      await upload.done();
    } finally {
      opts.signal.removeEventListener('abort', abort);
      body.off('error', abort);
    }
    const stored = await this.stat(key);
    if (!stored) throw new Error(`S3 reported ${key} written but does not have it`);
    return { locator: key, bytes: stored.bytes };
  }

  async read(locator: string, opts: { range?: ByteRange; signal?: AbortSignal } = {}): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.settings.bucket, Key: locator, ...(opts.range ? { Range: `bytes=${opts.range.start}-${opts.range.end}` } : {}) }),
        { abortSignal: opts.signal },
      );
      return out.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw new BlobMissing(locator);
      throw err;
    }
  }

  async stat(locator: string): Promise<{ bytes: number } | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: locator }));
      return { bytes: head.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async remove(locator: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: locator }));
  }

  async *list(): AsyncIterable<ListedObject> {
    await this.ensureBucket();
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.settings.prefix || undefined, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key) yield { locator: o.Key, bytes: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async directUrl(locator: string, ttlSeconds: number): Promise<URL> {
    return new URL(await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.settings.bucket, Key: locator }), { expiresIn: ttlSeconds }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
