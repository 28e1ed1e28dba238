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
  private offered: Draft | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private online: AbortController | null = null;

  constructor(private readonly host: Host) {
    host.addController(this);
  }

  hostDisconnected() {
    clearTimeout(this.timer);
    this.online?.abort();
  }

  /** Drafts belong to one user on one server. */
  private get namespace(): string | null {
    return draftNamespace(resolveEndpoint(this.host.endpoint), this.host.token);
  }

  /** Offers to resume a saved draft; one whose upload failed offline is resumed and retried right away. */
  async offerResume() {
    const ns = this.namespace;
    if (!ns || this.host._file) return;
    const draft = await loadDraft(ns).catch(() => undefined);
    if (!draft || this.host._file) return;
    this.offered = draft;
    if (draft.pendingUpload) {
      this.resume();
      this.retryWhenOnline(() => this.host.save());
    } else {
      this.host._setStage('resume');
    }
  }

  resume() {
    const draft = this.offered;
    this.offered = null;
    if (draft) this.host._show(draft.blob, draft.rotate, draft.crop);
  }

  async discard() {
    this.offered = null;
    await this.clear();
    this.host._setStage('empty');
  }

  async save(blob: Blob, crop: Crop | null, rotation: number, pendingUpload = false) {
    const ns = this.namespace;
    if (!ns) return;
    clearTimeout(this.timer);
    await saveDraft(ns, { blob, name: blob instanceof File ? blob.name : 'photo', type: blob.type, crop, rotate: rotation, pendingUpload }).catch(() => {
      // Private browsing or a full disk: drafts are a convenience, editing goes on without them.
    });
  }

  /** Saves the crop a moment after the user stops changing it. */
  saveSoon(state: () => { crop: Crop | null; rotation: number }) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const file = this.host._file;
      if (file) void this.save(file, state().crop, state().rotation);
    }, SAVE_DELAY_MS);
  }

  async clear() {
    clearTimeout(this.timer);
    this.online?.abort();
    const ns = this.namespace;
    if (ns) await clearDraft(ns).catch(() => {});
  }

  retryWhenOnline(retry: () => Promise<void>) {
    this.online?.abort();
    const online = (this.online = new AbortController());
    whenOnline(online.signal).then(retry, () => {});
  }
}
