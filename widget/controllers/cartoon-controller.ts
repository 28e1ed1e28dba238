// The cartoon being built: the server's options (fetched once), the chosen value of each, and the preview URL,
// which follows every choice at once (the server draws an SVG in a few milliseconds, and the browser keeps showing
// the previous drawing until the next has arrived). Needs nothing of its host but an API client.
import type { ReactiveControllerHost } from 'lit';
import type { ApiClient } from '../api/client.ts';
import { cartoonOptions, cartoonPreviewUrl, type CartoonConfig, type CartoonOptions } from '../api/avatar-config.ts';

export interface CartoonHost extends ReactiveControllerHost {
  readonly client: ApiClient;
}

/** A reactive controller without lifecycle hooks: it only asks its host to render when its state changes. */
export class CartoonController {
  /** Key → allowed values, once loaded. */
  options: CartoonOptions | null = null;
  /** The chosen values (may hold a saved cartoon's values before the options arrive). */
  config: CartoonConfig = {};
  /** The server's drawing of `config`; '' until the options are known. */
  previewUrl = '';
  private _loading: Promise<void> | null = null;

  constructor(private readonly _host: CartoonHost) {}

  /** Fetches the options the first time it is called (again after a failure); rejects with why it failed. */
  load(): Promise<void> {
    this._loading ??= cartoonOptions(this._host.client).then(
      (options) => {
        this.options = options;
        const defaults = Object.fromEntries(Object.entries(options).map(([key, values]) => [key, values[0]!]));
        this.set({ ...defaults, ...this.chosen(options) });
      },
      (error: unknown) => {
        this._loading = null; // the next call tries again
        throw error;
      },
    );
    return this._loading;
  }

  /** Chooses values (a saved cartoon's, or one the user picked) and points the preview at their drawing. */
  set(changes: CartoonConfig) {
    this.config = { ...this.config, ...changes };
    if (this.options) this.previewUrl = cartoonPreviewUrl(this._host.client, this.chosen());
    this._host.requestUpdate();
  }

  /** A random value for every key. */
  randomize() {
    const values = Object.entries(this.options ?? {}).map(([key, list]) => [key, list[Math.floor(Math.random() * list.length)]!]);
    this.set(Object.fromEntries(values));
  }

  /** The chosen values the server lists: what is saved (a saved cartoon's retired values drop out). */
  chosen(options = this.options ?? {}): CartoonConfig {
    return Object.fromEntries(Object.keys(options).flatMap((key) => (options[key]!.includes(this.config[key]!) ? [[key, this.config[key]!]] : [])));
  }
}
