// Which compression an Accept-Encoding header takes (server/http/content-encoding.ts), weights included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickEncoding } from '../../server/http/content-encoding.ts';

test('the best accepted coding: br over gzip, as browsers and curl send them', () => {
  assert.equal(pickEncoding('gzip, deflate, br, zstd'), 'br');
  assert.equal(pickEncoding('gzip, deflate'), 'gzip');
  assert.equal(pickEncoding('deflate'), 'identity');
  assert.equal(pickEncoding(undefined), 'identity');
  assert.equal(pickEncoding(''), 'identity');
});

test('q=0 refuses a coding, and a higher weight wins over br', () => {
  assert.equal(pickEncoding('br;q=0, gzip'), 'gzip');
  assert.equal(pickEncoding('br; q=0.0, gzip;q=0'), 'identity');
  assert.equal(pickEncoding('br;q=0.5, gzip;q=0.8'), 'gzip');
  assert.equal(pickEncoding('BR;Q=1, GZIP;Q=1'), 'br');
});

test('* stands for the codings not named, and a coding named is not a substring of another', () => {
  assert.equal(pickEncoding('*'), 'br');
  assert.equal(pickEncoding('*;q=0'), 'identity');
  assert.equal(pickEncoding('br;q=0, *'), 'gzip');
  assert.equal(pickEncoding('x-gzip-like, brx'), 'identity');
});
