// Runs one save: worker processing, then the upload and the wait for the server. Owns the phase, the progress
// and cancel; any ReactiveControllerHost with an API client can use it (the element, or a framework wrapper).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ApiClient } from '../api/client.ts';
import { uploadAvatar, type AvatarDetail } from '../api/upload.ts';
import type { UploadProgressDetail } from '../events.ts';
import { sharedImageWorker, type ProcessOptions } from '../worker/client.ts';

/** The crop has settled when it has not changed for this long: then the worker starts on it, ahead of Save. */
const SETTLE_MS = 250;

export interface UploadHost extends ReactiveControllerHost {
  readonly client: ApiClient;
}

export type SaveResult =
  | { ok: true; detail: AvatarDetail }
  | { ok: false; aborted: boolean; offline: boolean; error: { code: string; message: string; retryable: boolean } };

export class UploadController implements ReactiveController {
  /** What a save in flight is doing, or null when none is. */
  phase: UploadProgressDetail['phase'] | null = null;
  progress: { loaded: number; total: number } | null = null;
  private _abortController: AbortController | null = null;
  private _settle: ReturnType<typeof setTimeout> | undefined;

  /** `onProgress` hears every step (the element turns them into upload-progress events). */
  constructor(
    private readonly _host: UploadHost,
    private readonly _onProgress: (detail: UploadProgressDetail) => void = () => {},
  ) {
    _host.addController(this);
  }

  hostDisconnected() {
    this.abort();
    clearTimeout(this._settle);
  }

  /** The crop changed: once it settles, the worker processes it, and Save with the same crop takes that result. */
  prepareSoon(file: Blob, options: () => ProcessOptions | null, settleMs = SETTLE_MS) {
    clearTimeout(this._settle);
    this._settle = setTimeout(() => {
      const settled = options();
      if (settled) sharedImageWorker().prepare(file, settled);
    }, settleMs);
  }

  abort() {
    this._abortController?.abort();
  }

  private _report(detail: UploadProgressDetail) {
    this.phase = detail.phase;
    this.progress = { loaded: detail.loaded, total: detail.total };
    this._host.requestUpdate();
    this._onProgress(detail);
  }

  async run(file: Blob, options: ProcessOptions): Promise<SaveResult> {
    clearTimeout(this._settle);
    const abort = (this._abortController = new AbortController());
    try {
      this._report({ phase: 'processing', loaded: 0, total: 1 });
      const processed = await sharedImageWorker().processImage(file, options);
      abort.signal.throwIfAborted();
      this._report({ phase: 'processing', loaded: 1, total: 1 });
      const detail = await uploadAvatar(this._host.client, processed.blob, {
        // The worker drew the person's crop: the server is to take the whole square as it is (its own default
        // crop, meant for uploads that come without one, would look for a face in it and cut again).
        crop: { x: 0, y: 0, w: processed.width, h: processed.height },
        signal: abort.signal,
        onProgress: (p) => this._report({ phase: p.phase === 'processing' ? 'waiting' : 'upload', loaded: p.loaded, total: p.total }),
      });
      return { ok: true, detail };
    } catch (error) {
      const aborted = abort.signal.aborted;
      const e = error as { code?: string; message?: string; retryable?: boolean };
      const code = aborted ? 'ABORTED' : e.code ?? 'PROCESSING_FAILED';
      return {
        ok: false,
        aborted,
        offline: !aborted && code === 'NETWORK_ERROR' && !navigator.onLine,
        error: { code, message: e.message ?? String(error), retryable: aborted || (e.retryable ?? false) },
      };
    } finally {
      this._abortController = null;
      this.phase = this.progress = null;
      this._host.requestUpdate();
    }
  }
}
