// Runs one save: worker processing, then the upload and the wait for the server. Owns progress and cancel.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { uploadAvatar } from '../api/upload.ts';
import type { Crop } from '../crop-geometry.ts';
import { emit, type AvatarChangedDetail, type UploadProgressDetail } from '../events.ts';
import { sharedImageWorker } from '../worker/client.ts';

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
  private abortController: AbortController | null = null;

  constructor(private readonly host: Host) {
    host.addController(this);
  }

  hostDisconnected() {
    this.abort();
  }

  abort() {
    this.abortController?.abort();
  }

  private report(detail: UploadProgressDetail) {
    this.progress = { loaded: detail.loaded, total: detail.total };
    this.host.requestUpdate();
    emit(this.host, 'upload-progress', detail);
  }

  async run(file: Blob, options: { crop: Crop | null; rotate: number; outputSize: number }): Promise<SaveResult> {
    const abort = (this.abortController = new AbortController());
    const t = this.host.text;
    try {
      this.host._setStatus(t.processing);
      this.report({ phase: 'processing', loaded: 0, total: 1 });
      const processed = await sharedImageWorker().processImage(file, options);
      abort.signal.throwIfAborted();
      this.report({ phase: 'processing', loaded: 1, total: 1 });
      this.host._setStatus(t.uploading);
      const result = await uploadAvatar(this.host.client, processed.blob, {
        signal: abort.signal,
        onProgress: (p) => {
          if (p.phase === 'processing') this.host._setStatus(t.waiting);
          this.report({ phase: p.phase === 'processing' ? 'waiting' : 'upload', loaded: p.loaded, total: p.total });
        },
      });
      return { ok: true, detail: { ...result, user_id: this.host.userId } };
    } catch (error) {
      const aborted = abort.signal.aborted;
      const e = error as { code?: string; message?: string; retryable?: boolean };
      const code = aborted ? 'ABORTED' : e.code ?? 'PROCESSING_FAILED';
      if (aborted) this.host._setStatus('');
      return {
        ok: false,
        aborted,
        offline: !aborted && code === 'NETWORK_ERROR' && !navigator.onLine,
        error: { code, message: e.message ?? String(error), retryable: aborted || (e.retryable ?? false) },
      };
    } finally {
      this.abortController = null;
      this.progress = null;
      this.host.requestUpdate();
    }
  }
}
