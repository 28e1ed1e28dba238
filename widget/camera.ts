// <avatar-camera>: "Take a photo" on a desktop, a chunk of its own loaded when it is opened. A live preview of
// the camera (getUserMedia), a shutter, then the still with Retake and Use photo. Fires `camera-photo` with the
// photo as a JPEG File, or `camera-close`. The camera is released as soon as it is not needed.
import { LitElement, html, nothing } from 'lit';
import type { Strings } from './i18n.ts';
import { controlStyles, css } from './styles.ts';

type CameraError = 'cameraDenied' | 'cameraMissing' | 'cameraFailed';

/** What getUserMedia's failure means for the person in front of the screen. */
export function cameraError(error: unknown): CameraError {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'cameraDenied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'cameraMissing';
  return 'cameraFailed';
}

export class AvatarCamera extends LitElement {
  static override styles = [
    controlStyles,
    css`
      :host {
        display: block;
        margin: 0.75rem 0;
      }
      .view {
        height: var(--avatar-editor-crop-height, 320px);
        border-radius: var(--_radius);
        overflow: hidden;
        background: #000;
        display: grid;
      }
      video,
      img {
        width: 100%;
        height: 100%;
        object-fit: contain;
        grid-area: 1 / 1;
      }
      /* A mirror, as people expect of a camera facing them; the photo is taken as seen. */
      video {
        transform: scaleX(-1);
      }
      .status:empty {
        display: none;
      }
    `,
  ];

  static override shadowRootOptions: ShadowRootInit = { ...LitElement.shadowRootOptions, delegatesFocus: true };

  static override properties = {
    text: { attribute: false },
    _state: { state: true },
    _photoUrl: { state: true },
  };

  declare text: Strings;
  /** @internal */
  declare _state: 'starting' | 'live' | 'taken' | CameraError;
  /** @internal */
  declare _photoUrl: string | null;

  private _stream: MediaStream | null = null;
  private _photo: Blob | null = null;

  constructor() {
    super();
    this._state = 'starting';
    this._photoUrl = null;
  }

  override connectedCallback() {
    super.connectedCallback();
    void this._start();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this._stop();
    this._setPhoto(null);
  }

  private async _start() {
    this._state = 'starting';
    await this._focus('[part~=cancel]');
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false });
      if (!this.isConnected) return stream.getTracks().forEach((track) => track.stop());
      this._stream = stream;
      this._state = 'live';
      await this.updateComplete;
      const video = this.renderRoot.querySelector('video')!;
      video.srcObject = stream;
      await video.play();
      await this._focus('[part~=shutter]');
    } catch (error) {
      this._stop();
      this._state = cameraError(error);
      console.warn(`<avatar-editor> camera: ${(error as Error)?.name}: ${(error as Error)?.message}`);
    }
  }

  private _stop() {
    this._stream?.getTracks().forEach((track) => track.stop());
    this._stream = null;
  }

  private _setPhoto(photo: Blob | null) {
    if (this._photoUrl) URL.revokeObjectURL(this._photoUrl);
    this._photo = photo;
    this._photoUrl = photo ? URL.createObjectURL(photo) : null;
  }

  private async _focus(selector: string) {
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(selector)?.focus();
  }

  /** The frame shown now, mirrored as it was seen, as a JPEG; the preview holds still meanwhile. */
  private _shoot() {
    const video = this.renderRoot.querySelector('video')!;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const ctx = canvas.getContext('2d')!;
    ctx.scale(-1, 1);
    ctx.drawImage(video, -canvas.width, 0);
    video.pause();
    canvas.toBlob(
      (blob) => {
        if (!blob) return void (this._state = 'cameraFailed');
        this._setPhoto(blob);
        this._state = 'taken';
        void this._focus('[part~=use-photo]');
      },
      'image/jpeg',
      0.92,
    );
  }

  private _retake() {
    this._setPhoto(null);
    this._state = 'live';
    void this.renderRoot.querySelector('video')!.play();
    void this._focus('[part~=shutter]');
  }

  private _use() {
    const photo = this._photo!;
    this._stop();
    this.dispatchEvent(new CustomEvent('camera-photo', { detail: new File([photo], 'camera.jpg', { type: 'image/jpeg' }) }));
  }

  private _close() {
    this._stop();
    this.dispatchEvent(new Event('camera-close'));
  }

  override render() {
    const t = this.text;
    const state = this._state;
    const message = state === 'starting' ? t.cameraStarting : state === 'live' || state === 'taken' ? '' : t[state];
    return html`
      <div class="view" part="camera" role="group" aria-label=${t.camera} ?hidden=${Boolean(message) && state !== 'starting'}>
        <video ?hidden=${state !== 'live'} muted playsinline aria-label=${t.camera}></video>
        ${this._photoUrl && state === 'taken' ? html`<img src=${this._photoUrl} alt=${t.camera} />` : nothing}
      </div>
      <p role="status" class="status ${state.startsWith('camera') ? 'error' : ''}">${message}</p>
      <div class="row">
        ${state === 'live' ? html`<button type="button" class="primary" part="button shutter" @click=${this._shoot}>${t.shutter}</button>` : nothing}
        ${state === 'taken'
          ? html`<button type="button" class="primary" part="button use-photo" @click=${this._use}>${t.usePhoto}</button>
              <button type="button" part="button retake" @click=${this._retake}>${t.retake}</button>`
          : nothing}
        <button type="button" part="button cancel" @click=${this._close}>${t.cancel}</button>
      </div>
    `;
  }
}

if (!customElements.get('avatar-camera')) customElements.define('avatar-camera', AvatarCamera);

declare global {
  interface HTMLElementTagNameMap {
    'avatar-camera': AvatarCamera;
  }
}
