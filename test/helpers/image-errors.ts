// Asserts that image work fails with our ImageError and a given code (the code clients will see).
import assert from 'node:assert/strict';
import { ImageError } from '../../server/images/pipeline.ts';

export function rejectsWithImageError(promise: Promise<unknown>, code: ImageError['code'], message?: RegExp) {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ImageError, `expected ImageError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}
