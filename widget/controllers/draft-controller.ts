// Keeps the photo being edited (and its crop) in IndexedDB until it is saved, so a reload can resume it,
// and retries an upload that failed offline once the browser is back online.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Crop } from '../crop-geometry.ts';
import { clearDraft, draftNamespace, loadDraft, saveDraft, whenOnline, type Draft } from '../drafts.ts';
import { resolveEndpoint } from '../endpoint.ts';

interface Host extends ReactiveControllerHost, HTMLElement {
  endpoint: string;
  token: string;
  _file: Blob | null;
  _show(file: Blob, rotation: number, crop: Crop | null): void;
  _setStage(stage: 'empty' | 'resume'): void;
  save(): Promise<void>;
}

const SAVE_DELAY_MS = 400;

export class DraftController implements ReactiveController {
  private _offered: Draft | null = null;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private _online: AbortController | null = null;

  constructor(private readonly _host: Host) {
    _host.addController(this);
  }

  hostDisconnected() {
    clearTimeout(this._timer);
    this._online?.abort();
  }

  /** Drafts belong to one user on one server. */
  private get _namespace(): string | null {
    return draftNamespace(resolveEndpoint(this._host.endpoint), this._host.token);
  }

  /** Offers to resume a saved draft; one whose upload failed offline is resumed and retried right away. */
  async _offerResume() {
    const ns = this._namespace;
    if (!ns || this._host._file) return;
    const draft = await loadDraft(ns).catch(() => undefined);
    if (!draft || this._host._file) return;
    this._offered = draft;
    if (draft.pendingUpload) {
      this.resume();
      this._retryWhenOnline(() => this._host.save());
    } else {
      this._host._setStage('resume');
    }
  }

  resume() {
    const draft = this._offered;
    this._offered = null;
    if (draft) this._host._show(draft.blob, draft.rotate, draft.crop);
  }

  async discard() {
    this._offered = null;
    await this.clear();
    this._host._setStage('empty');
  }

  async save(blob: Blob, crop: Crop | null, rotation: number, pendingUpload = false) {
    const ns = this._namespace;
    if (!ns) return;
    clearTimeout(this._timer);
    await saveDraft(ns, { blob, name: blob instanceof File ? blob.name : 'photo', type: blob.type, crop, rotate: rotation, pendingUpload }).catch(() => {
      // Private browsing or a full disk: drafts are a convenience, editing goes on without them.
    });
  }

  /** Saves the crop a moment after the user stops changing it. */
  _saveSoon(state: () => { crop: Crop | null; rotation: number }) {
    clearTimeout(this._timer);
    this._timer = setTimeout(() => {
      const file = this._host._file;
      if (file) void this.save(file, state().crop, state().rotation);
    }, SAVE_DELAY_MS);
  }

  async clear() {
    clearTimeout(this._timer);
    this._online?.abort();
    const ns = this._namespace;
    if (ns) await clearDraft(ns).catch(() => {});
  }

  _retryWhenOnline(retry: () => Promise<void>) {
    this._online?.abort();
    const online = (this._online = new AbortController());
    whenOnline(online.signal).then(retry, () => {});
  }
}
