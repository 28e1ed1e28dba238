// Signed upload URLs for local storage: the server verifies them itself on PUT.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface UploadGrant {
  fileId: string;
  contentType: string;
  sizeBytes: number;
  expiresAt: number;
}

const matches = (expected: string, signature: string) => {
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  return a.length === b.length && timingSafeEqual(a, b);
};

export function createUploadSigner(secret: string) {
  // A key of its own, so an upload signature can never double as a token signature.
  const key = createHmac('sha256', secret).update('avatar-server upload urls v1').digest();
  // Upload links (POST /v1/admin/avatars/new) bind only the file and the expiry: another key, so neither kind of
  // signature can stand in for the other.
  const linkKey = createHmac('sha256', secret).update('avatar-server upload links v1').digest();
  const sign = (g: UploadGrant) =>
    createHmac('sha256', key).update(`${g.fileId}\n${g.contentType}\n${g.sizeBytes}\n${g.expiresAt}`).digest('hex');
  const signLink = (fileId: string, expiresAt: number) => createHmac('sha256', linkKey).update(`${fileId}\n${expiresAt}`).digest('hex');
  return {
    sign,
    verify: (grant: UploadGrant, signature: string): boolean => matches(sign(grant), signature),
    signLink,
    verifyLink: (fileId: string, expiresAt: number, signature: string): boolean => matches(signLink(fileId, expiresAt), signature),
  };
}

export type UploadSigner = ReturnType<typeof createUploadSigner>;

/** Signed read URLs for private objects (private emotes): the signature binds the object key and the expiry. */
export function createReadSigner(secret: string) {
  const key = createHmac('sha256', secret).update('avatar-server read urls v1').digest();
  const sign = (objectKey: string, expiresAt: number) => createHmac('sha256', key).update(`${objectKey}\n${expiresAt}`).digest('hex');
  return {
    sign,
    verify: (objectKey: string, expiresAt: number, signature: string): boolean => matches(sign(objectKey, expiresAt), signature),
  };
}

export type ReadSigner = ReturnType<typeof createReadSigner>;
