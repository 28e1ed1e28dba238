// Signed upload URLs for local storage: the server verifies them itself on PUT.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface UploadGrant {
  fileId: string;
  contentType: string;
  sizeBytes: number;
  expiresAt: number;
}

export function createUploadSigner(secret: string) {
  // A key of its own, so an upload signature can never double as a token signature.
  const key = createHmac('sha256', secret).update('avatar-server upload urls v1').digest();
  const sign = (g: UploadGrant) =>
    createHmac('sha256', key).update(`${g.fileId}\n${g.contentType}\n${g.sizeBytes}\n${g.expiresAt}`).digest('hex');
  return {
    sign,
    verify(grant: UploadGrant, signature: string): boolean {
      const expected = Buffer.from(sign(grant));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

export type UploadSigner = ReturnType<typeof createUploadSigner>;

/** Signed read URLs for private objects (private emotes): the signature binds the object key and the expiry. */
export function createReadSigner(secret: string) {
  const key = createHmac('sha256', secret).update('avatar-server read urls v1').digest();
  const sign = (objectKey: string, expiresAt: number) => createHmac('sha256', key).update(`${objectKey}\n${expiresAt}`).digest('hex');
  return {
    sign,
    verify(objectKey: string, expiresAt: number, signature: string): boolean {
      const expected = Buffer.from(sign(objectKey, expiresAt));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

export type ReadSigner = ReturnType<typeof createReadSigner>;
