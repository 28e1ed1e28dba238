// Keeps the photo being edited (and its crop) in IndexedDB until it is saved, so a reload can resume it, and
// retries an upload that failed offline once the browser is back online. The host only names the namespace
// (one user on one server); what to show for an offered draft is the host's business.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Crop } from '../crop-geometry.ts';
import { clearDraft, loadDraft, saveDraft, whenOnline, type Draft } from '../drafts.ts';

export interface DraftHost extends ReactiveControllerHost {
  /** Where drafts live (see draftNamespace); null while there is no signed-in user. */
  readonly draftNamespace: string | null;
}

const SAVE_DELAY_MS = 400;

export class DraftController implements ReactiveController {
  /** A saved draft the user may resume or discard, once find() has found one. */
  offered: Draft | null = null;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private _online: AbortController | null = null;

  constructor(private readonly _host: DraftHost) {
    _host.addController(this);
  }

  hostDisconnected() {
    clearTimeout(this._timer);
    this._online?.abort();
  }

  /** Looks for the user's saved draft and offers it (see `offered`). */
  async find(): Promise<Draft | null> {
    const ns = this._host.draftNamespace;
    const draft = (ns && (await loadDraft(ns).catch(() => undefined))) || null;
    this._offer(draft);
    return draft;
  }

  /** Takes the offered draft (to edit it); null when none is offered. */
  take(): Draft | null {
    const draft = this.offered;
    this._offer(null);
    return draft;
  }

  async discard() {
    this._offer(null);
    await this.clear();
  }

  private _offer(draft: Draft | null) {
    this.offered = draft;
    this._host.requestUpdate();
  }

  /** Keeps `blob` and the whole edit: `crop` carries its turn and mirror. */
  async save(blob: Blob, crop: Crop | null, pendingUpload = false) {
    const ns = this._host.draftNamespace;
    if (!ns) return;
    clearTimeout(this._timer);
    await saveDraft(ns, { blob, name: blob instanceof File ? blob.name : 'photo', type: blob.type, crop, pendingUpload }).catch(() => {
      // Private browsing or a full disk: drafts are a convenience, editing goes on without them.
    });
  }

  /** Saves a moment after the user stops changing the crop; `state` is read then (null: nothing to save). */
  saveSoon(state: () => { file: Blob; crop: Crop | null } | null) {
    clearTimeout(this._timer);
    this._timer = setTimeout(() => {
      const now = state();
      if (now) void this.save(now.file, now.crop);
    }, SAVE_DELAY_MS);
  }

  async clear() {
    clearTimeout(this._timer);
    this._online?.abort();
    const ns = this._host.draftNamespace;
    if (ns) await clearDraft(ns).catch(() => {});
  }

  /** Calls `retry` once the browser is online (at once if it is); a later call replaces an earlier one. */
  retryWhenOnline(retry: () => unknown) {
    this._online?.abort();
    const online = (this._online = new AbortController());
    whenOnline(online.signal).then(retry, () => {});
  }
}
