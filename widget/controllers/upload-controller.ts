// Runs one save: worker processing, then the upload and the wait for the server. Owns progress and cancel.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { uploadAvatar } from '../api/upload.ts';
import { emit, type AvatarChangedDetail, type UploadProgressDetail } from '../events.ts';
import { sharedImageWorker, type ProcessOptions } from '../worker/client.ts';

/** The crop has settled when it has not changed for this long: then the worker starts on it, ahead of Save. */
const SETTLE_MS = 250;

interface Host extends ReactiveControllerHost, HTMLElement {
  readonly client: import('../api/client.ts').ApiClient;
  readonly userId: string | null;
  readonly text: import('../i18n.ts').Strings;
  _setStatus(text: string, error?: boolean): void;
}

export type SaveResult =
  | { ok: true; detail: AvatarChangedDetail }
  | { ok: false; aborted: boolean; offline: boolean; error: { code: string; message: string; retryable: boolean } };

export class UploadController implements ReactiveController {
  progress: { loaded: number; total: number } | null = null;
  private _abortController: AbortController | null = null;
  private _settle: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly _host: Host) {
    _host.addController(this);
  }

  hostDisconnected() {
    this.abort();
    clearTimeout(this._settle);
  }

  /** The crop changed: once it settles, the worker processes it, and Save with the same crop takes that result. */
  prepareSoon(file: Blob, options: () => ProcessOptions | null) {
    clearTimeout(this._settle);
    this._settle = setTimeout(() => {
      const settled = options();
      if (settled) sharedImageWorker().prepare(file, settled);
    }, SETTLE_MS);
  }

  abort() {
    this._abortController?.abort();
  }

  private _report(detail: UploadProgressDetail) {
    this.progress = { loaded: detail.loaded, total: detail.total };
    this._host.requestUpdate();
    emit(this._host, 'upload-progress', detail);
  }

  async run(file: Blob, options: ProcessOptions): Promise<SaveResult> {
    clearTimeout(this._settle);
    const abort = (this._abortController = new AbortController());
    const t = this._host.text;
    try {
      this._host._setStatus(t.processing);
      this._report({ phase: 'processing', loaded: 0, total: 1 });
      const processed = await sharedImageWorker().processImage(file, options);
      abort.signal.throwIfAborted();
      this._report({ phase: 'processing', loaded: 1, total: 1 });
      this._host._setStatus(t.uploading);
      const result = await uploadAvatar(this._host.client, processed.blob, {
        signal: abort.signal,
        onProgress: (p) => {
          if (p.phase === 'processing') this._host._setStatus(t.waiting);
          this._report({ phase: p.phase === 'processing' ? 'waiting' : 'upload', loaded: p.loaded, total: p.total });
        },
      });
      return { ok: true, detail: { ...result, user_id: this._host.userId } };
    } catch (error) {
      const aborted = abort.signal.aborted;
      const e = error as { code?: string; message?: string; retryable?: boolean };
      const code = aborted ? 'ABORTED' : e.code ?? 'PROCESSING_FAILED';
      if (aborted) this._host._setStatus('');
      return {
        ok: false,
        aborted,
        offline: !aborted && code === 'NETWORK_ERROR' && !navigator.onLine,
        error: { code, message: e.message ?? String(error), retryable: aborted || (e.retryable ?? false) },
      };
    } finally {
      this._abortController = null;
      this.progress = null;
      this._host.requestUpdate();
    }
  }
}
