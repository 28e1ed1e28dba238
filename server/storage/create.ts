// The storage a Config asks for. The S3 driver loads the AWS SDK only on its first request.
import type { Config } from '../config.ts';
import type { Storage } from './index.ts';
import { createLocalStorage } from './local.ts';
import { createS3Storage } from './s3.ts';

export function createStorage(config: Config, clock: () => number, log: { error(line: string): void }): Storage {
  const settings = config.storage;
  if (settings.kind === 'local') return createLocalStorage(config.dataDir);
  return createS3Storage({
    bucket: settings.bucket,
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials,
    cdnUrl: settings.cdnUrl,
    clock,
    log,
  });
}
