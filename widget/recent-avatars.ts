// <avatar-recent>: the user's recent avatars — up to RECENT_COUNT photos and cartoons, newest first — to switch back
// to with one click or key, and to delete one. A chunk of its own: <avatar-editor> loads it once it has shown the
// user's avatar. It does the requests itself and tells the editor the outcome (which owns the status line, the
// current avatar and the events the host hears):
//   recent-used {detail}: the picture is the avatar again (as avatar-changed says it, plus a cartoon's options);
//   recent-deleted: a picture was deleted; recent-failed {error, retry}: a request failed; recent-emptied: the last
//   picture went, and focus goes back to the editor.
// Keyboard: the list is one stop of the Tab key (the picture last focused, then its Delete button); arrow keys,
// Home and End move between pictures; Enter or Space uses one; Delete (or Backspace) deletes it.
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { ApiClient } from './api/client.ts';
import { deleteRecent, recentAvatars, useRecent, type RecentAvatar } from './api/recent.ts';
import type { Strings } from './i18n.ts';
import { controlStyles, css } from './styles.ts';

/** As many as the server keeps cartoons: the last six avatars. */
export const RECENT_COUNT = 6;

const styles = css`
  :host {
    display: block;
  }
  h3 {
    font-size: 0.9em;
    font-weight: 600;
    color: var(--_muted);
    margin: 0.75rem 0 0.4rem;
  }
  ul {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    list-style: none;
    margin: 0;
    padding: 0;
  }
  li {
    position: relative;
  }
  .use {
    position: relative;
    padding: 2px;
    border-radius: var(--_shape-radius);
    border: 2px solid transparent;
  }
  /* The avatar: a ring and a check mark (not colour alone); its name says it too. Not faded: it has nothing to do. */
  .use[aria-current='true'] {
    border-color: var(--_accent);
    opacity: 1;
    cursor: default;
  }
  .use[aria-current='true']::after {
    content: '✓';
    position: absolute;
    right: -0.3rem;
    bottom: -0.3rem;
    width: 1.2rem;
    height: 1.2rem;
    display: grid;
    place-items: center;
    border-radius: 50%;
    font-size: 0.75rem;
    background: var(--_accent);
    color: var(--_bg);
  }
  img {
    display: block;
    width: 48px;
    height: 48px;
    border-radius: var(--_shape-radius);
    background: var(--_border);
  }
  .delete {
    position: absolute;
    top: -0.45rem;
    right: -0.45rem;
    width: 1.5rem;
    height: 1.5rem;
    padding: 0;
    justify-content: center;
    border-radius: 50%;
    background: var(--_bg);
    line-height: 1;
  }
`;

export class AvatarRecent extends LitElement {
  static override styles = [controlStyles, styles];

  static override properties = {
    client: { attribute: false },
    text: { attribute: false },
    reads: { attribute: false },
    disabled: { type: Boolean },
    _items: { state: true },
    _active: { state: true },
    _busy: { state: true },
  };

  /** The API client of the editor (null: no token yet). */
  declare client: ApiClient | null;
  declare text: Strings;
  /** Counts the editor's successful reads and changes of the avatar: each new count reads the list again. */
  declare reads: number;
  declare disabled: boolean;
  /** @internal */
  declare private _items: RecentAvatar[];
  /** @internal The picture that is the list's stop of the Tab key. */
  declare private _active: string | null;
  /** @internal */
  declare private _busy: boolean;
  /** Only the newest read of the list is shown. */
  private _reads = 0;

  constructor() {
    super();
    this.client = null;
    this.reads = 0;
    this.disabled = false;
    this._items = [];
    this._active = null;
    this._busy = false;
  }

  override willUpdate(changed: PropertyValues<this>) {
    if (changed.has('reads') && this.reads > 0) void this._read();
  }

  /** Reads the list again (after a change made elsewhere). */
  private async _read() {
    const read = ++this._reads;
    if (!this.client) {
      this._items = [];
      return;
    }
    try {
      const items = await recentAvatars(this.client, RECENT_COUNT);
      if (read === this._reads) this._items = items;
    } catch (error) {
      // The editor reads the user's avatar from the same server and says what went wrong with it; the list can wait.
      if (read === this._reads) console.warn(`<avatar-recent> the recent avatars could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private _tell<T>(type: string, detail?: T) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  private async _use(item: RecentAvatar) {
    if (this._busy || this.disabled || item.isAvatar || !this.client) return;
    this._busy = true;
    try {
      const detail = await useRecent(this.client, item);
      this._active = item.id;
      this._tell('recent-used', detail); // the editor counts the change, and the list is read again
    } catch (error) {
      this._tell('recent-failed', { error, retry: () => this._use(item) });
    } finally {
      this._busy = false;
    }
  }

  private async _delete(item: RecentAvatar) {
    if (this._busy || this.disabled || item.isAvatar || !this.client) return;
    this._busy = true;
    try {
      await deleteRecent(this.client, item);
      const at = this._items.indexOf(item);
      // Read again first, so an older picture (if there is one) takes the free place in the same render that
      // moves focus: the list never shows a state focus has not caught up with.
      await this._read();
      this._items = this._items.filter((other) => other.id !== item.id);
      // Focus goes to the picture that took its place (or the one before the last), or back to the editor.
      const next = this._items[Math.min(at, this._items.length - 1)];
      this._active = next?.id ?? null;
      await this.updateComplete;
      if (next) this._buttonOf(next.id)?.focus();
      this._tell('recent-deleted');
      if (!next) this._tell('recent-emptied');
    } catch (error) {
      // The list may be out of date (the picture became the avatar in another tab): read again; if its × went with
      // that, focus goes to the picture itself.
      await this._read();
      await this.updateComplete;
      if (!this.shadowRoot?.activeElement && this._items.some((other) => other.id === item.id)) {
        this._active = item.id;
        this._buttonOf(item.id)?.focus();
      }
      this._tell('recent-failed', { error, retry: () => this._delete(item) });
    } finally {
      this._busy = false;
    }
  }

  private _buttonOf(id: string) {
    return this.renderRoot.querySelector<HTMLButtonElement>(`button.use[data-id="${CSS.escape(id)}"]`);
  }

  private _onKeyDown(event: KeyboardEvent, index: number) {
    const items = this._items;
    const item = items[index]!;
    if (event.key === 'Delete' || event.key === 'Backspace') {
      event.preventDefault();
      void this._delete(item);
      return;
    }
    const next = { ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1, Home: 0, End: items.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = items[(next + items.length) % items.length]!;
    this._active = target.id;
    this._buttonOf(target.id)?.focus();
  }

  override render() {
    const items = this._items;
    if (items.length === 0) return nothing;
    const t = this.text;
    const active = items.some((item) => item.id === this._active) ? this._active : (items.find((item) => item.isAvatar) ?? items[0]!).id;
    const off = this._busy || this.disabled;
    return html`<h3 id="recent-title" part="recent-title">${t.recent}</h3>
      <ul part="recent" aria-labelledby="recent-title" aria-busy=${this._busy}>
        ${repeat(
          items,
          (item) => item.id,
          (item, index) => {
            const stop = item.id === active ? 0 : -1;
            return html`<li part="recent-item">
              <button
                type="button"
                class="use"
                part="button recent-use"
                data-id=${item.id}
                tabindex=${stop}
                aria-label=${item.isAvatar ? t.current : item.kind === 'photo' ? t.recentPhoto : t.recentCartoon}
                aria-current=${item.isAvatar ? 'true' : nothing}
                aria-keyshortcuts=${item.isAvatar ? nothing : 'Delete'}
                aria-disabled=${off || item.isAvatar}
                @click=${() => this._use(item)}
                @focus=${() => (this._active = item.id)}
                @keydown=${(event: KeyboardEvent) => this._onKeyDown(event, index)}
              >
                <img src=${item.thumbnail} alt="" width="48" height="48" loading="lazy" />
              </button>
              ${item.isAvatar
                ? nothing
                : html`<button type="button" class="delete" part="button recent-delete" tabindex=${stop} aria-label=${t.recentDelete} aria-disabled=${off} @click=${() => this._delete(item)}>
                    <span aria-hidden="true">×</span>
                  </button>`}
            </li>`;
          },
        )}
      </ul>`;
  }
}

customElements.define('avatar-recent', AvatarRecent);

declare global {
  interface HTMLElementTagNameMap {
    'avatar-recent': AvatarRecent;
  }
}
