// The checks both modes make before uploading, and how limits are shown.
import { expect } from '@open-wc/testing';
import { fileRefusal, formatBytes } from '../../widget/file-checks.ts';
import { stringsFor } from '../../widget/i18n.ts';

describe('file checks', () => {
  it('shows sizes in MB with at most one decimal, and in KB below 1 MB', () => {
    expect([25 * 1024 * 1024, 1024 * 1024, 1.5 * 1024 * 1024, 300 * 1024].map((n) => formatBytes(n))).to.deep.equal(['25 MB', '1 MB', '1.5 MB', '300 KB']);
    expect([formatBytes(2.9 * 1024 * 1024, 'de'), formatBytes(2.9 * 1024 * 1024, 'fr')]).to.deep.equal(['2,9 MB', '2,9 MB']);
  });

  it('refuses a type the server does not take, then a file over the limit, with localized messages', () => {
    const en = stringsFor('en');
    expect(fileRefusal(new Blob(['<svg/>'], { type: 'image/svg+xml' }), 1024, en)).to.deep.equal({ code: 'UNSUPPORTED_MEDIA_TYPE', message: en.errorType });
    const big = new Blob([new Uint8Array(2048)], { type: 'image/png' });
    expect(fileRefusal(big, 1024, stringsFor('de'))).to.deep.equal({ code: 'FILE_TOO_LARGE', message: 'Die Datei ist zu groß (höchstens 1 KB).' });
    expect(fileRefusal(big, 2048, en)).to.equal(null);
  });
});
