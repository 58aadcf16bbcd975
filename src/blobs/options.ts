/**
 * @module Blob store settings as node-config writes them (snake_case), and the one factory that
 * opens a store from them.
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs.js';
import { S3BlobStore } from './s3.js';
import { SwiftBlobStore } from './swift.js';

const MiB = 1024 * 1024;

const FsOptions = z
  .object({
    kind: z.literal('fs'),
    /** Relative paths are under the node's data_dir. */
    root: z.string().min(1).default('blobs'),
  })
  .strict();

const S3Options = z
  .object({
    kind: z.literal('s3'),
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    region: z.string().min(1).default('us-east-1'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a DNS-compliant bucket name'),
    access_key_id: z.string().min(1),
    secret_access_key: z.string().min(1),
    /** Ceph RGW and Swift's s3api need path-style addressing. */
    force_path_style: z.boolean().default(false),
    prefix: z.string().default(''),
    part_size_mib: z.number().int().min(5).max(5120).default(16),
    redirect_downloads: z.boolean().default(false),
  })
  .strict();

const SwiftOptions = z
  .object({
    kind: z.literal('swift'),
    auth_url: z.url({ protocol: /^https?$/ }),
    user: z.string().min(1),
    key: z.string().min(1),
    container: z.string().min(1).max(200).regex(/^[^/]+$/, 'may not contain "/"'),
    segment_size_mib: z.number().int().min(1).max(5120).default(256),
    /** Objects up to this size go in one PUT (held in memory meanwhile). */
    small_object_mib: z.number().int().min(1).max(64).default(8),
    redirect_downloads: z.boolean().default(false),
    temp_url_key: z.string().min(16).optional(),
  })
  .strict()
  .refine((o) => !o.redirect_downloads || o.temp_url_key, { message: 'redirect_downloads needs temp_url_key', path: ['redirect_downloads'] });

export const BlobStoreOptions = z.union([FsOptions, S3Options, SwiftOptions]);
export type BlobStoreOptions = z.infer<typeof BlobStoreOptions>;

export function openBlobStore(options: BlobStoreOptions, ctx: { dataDir: string }): BlobStore {
  switch (options.kind) {
    case 'fs':
      return new FsBlobStore(isAbsolute(options.root) ? options.root : join(ctx.dataDir, options.root));
    case 's3':
      return new S3BlobStore({
        endpoint: options.endpoint,
        region: options.region,
        bucket: options.bucket,
        accessKeyId: options.access_key_id,
        secretAccessKey: options.secret_access_key,
        forcePathStyle: options.force_path_style,
        prefix: options.prefix,
        partSizeBytes: options.part_size_mib * MiB,
      });
    case 'swift':
      return new SwiftBlobStore({
        authUrl: options.auth_url,
        user: options.user,
        key: options.key,
        container: options.container,
        segmentBytes: options.segment_size_mib * MiB,
        smallObjectBytes: Math.min(options.small_object_mib, options.segment_size_mib) * MiB,
        tempUrlKey: options.temp_url_key,
      });
  }
}
