// The Cartoon tab of <avatar-editor>, a chunk of its own (loaded when the tab is first reached for): a preview
// drawn by the server that stays in view while choosing, one control per option that changes the drawing with the
// current choices (swatches for colours, a list with a small picture of each choice for the rest), names in the
// user's language, Randomize and Save. The state lives in CartoonController; nothing of the drawing is in the widget.
import { html, nothing } from 'lit';
import type { CartoonController } from './controllers/cartoon-controller.ts';
import { cartoonPreviewUrl } from './api/avatar-config.ts';
import type { ApiClient } from './api/client.ts';
import { applies, humanise, isColourKey, PICTURE_VIEWS, swatchColour } from './cartoon-names.ts';
import { valueName } from './cartoon-value-names.ts';
import type { Strings } from './i18n.ts';

// In the template (this chunk brings its own look): the page's theme variables come from the editor's :host.
const STYLES = html`<style>
  .cartoon {
    display: flex;
    flex-wrap: wrap;
    gap: 1rem;
    margin: 0.75rem 0;
  }
  /* The preview stays in view while the options scroll by (on a phone they are far longer than the screen). */
  .preview {
    position: sticky;
    top: 0;
    z-index: 1;
    align-self: flex-start;
    background: var(--_bg);
  }
  .preview img {
    display: block;
    width: 8rem;
    height: 8rem;
    border-radius: var(--_shape-radius);
    background: var(--_border);
  }
  @media (max-width: 30rem) {
    .preview {
      flex: 1 0 100%;
      padding: 0.5rem 0;
      box-shadow: 0 0.5rem 0.5rem -0.5rem #0004;
    }
    .preview img {
      width: 6rem;
      height: 6rem;
      margin: auto;
    }
  }
  .options {
    flex: 1 1 16rem;
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
    gap: 0.75rem 0.5rem;
  }
  .options label,
  fieldset {
    display: grid;
    gap: 0.25rem;
    min-width: 0;
    font-size: 0.9em;
  }
  fieldset {
    grid-column: 1 / -1;
    border: 0;
    margin: 0;
    padding: 0;
  }
  select,
  ::picker(select) {
    appearance: base-select;
  }
  select {
    min-width: 0;
    font: inherit;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 0.3rem;
  }
  ::picker(select) {
    max-height: min(24rem, 60vh);
    color: var(--_fg);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  select > button,
  option {
    display: flex;
    gap: 0.5rem;
    align-items: center;
  }
  select > button {
    border: 0;
    padding: 0;
    min-width: 0;
  }
  option {
    padding: 0.2rem 0.5rem;
  }
  option:checked {
    font-weight: 600;
  }
  /* A small picture of the choice: the drawing with it, framed on the part it changes. */
  select img {
    flex: none;
    width: 2.5rem;
    height: 2.5rem;
    border-radius: 6px;
    background: var(--_border);
    object-view-box: var(--_view, none);
  }
  [type='radio'] {
    appearance: none;
    margin: 0.2rem 0.4rem 0.2rem 0.2rem;
    width: 1.75rem;
    height: 1.75rem;
    border: 1px solid var(--_muted);
    border-radius: 50%;
    background: var(--_swatch) center / cover;
    cursor: pointer;
  }
  :checked:not(option) {
    box-shadow: 0 0 0 2px var(--_bg), 0 0 0 4px var(--_fg);
  }
  select:focus-visible,
  [type='radio']:focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 3px;
  }
</style>`;

export interface CartoonBuilderOptions {
  _client: ApiClient;
  _busy: boolean;
  _onSave: () => void;
  /** The user changed a choice (the host clears what its status line said about the last action). */
  _onChange: () => void;
}

const label = (t: Strings, key: string) => (t as unknown as Record<string, string | undefined>)[key] ?? humanise(key);
const valueLabel = (t: Strings, value: string) => (value.toLowerCase() === 'blank' ? t.noOption : valueName(t.locale, value) ?? humanise(value));

export function renderCartoonBuilder(cartoon: CartoonController, t: Strings, o: CartoonBuilderOptions) {
  // Until the options arrive there is nothing to choose from; a failed load offers Try again in the status line.
  const { options, config } = cartoon;
  if (!options) return nothing;
  const keys = Object.keys(options);
  const chosen = cartoon.chosen();
  /** The drawing with `value` for `key`: the preview's own URL once chosen, so a choice seen is shown at once. */
  const picture = (key: string, value: string) => cartoonPreviewUrl(o._client, { ...chosen, [key]: value });
  const choose = (key: string) => (event: Event) => (o._onChange(), cartoon.set({ [key]: (event.target as HTMLInputElement | HTMLSelectElement).value }));
  return html`${STYLES}
    <div class="cartoon">
      <div class="preview"><img src=${cartoon.previewUrl} alt=${t.preview} part="cartoon-preview" fetchpriority="high" /></div>
      <div class="options" part="cartoon-options">
        ${keys.filter((key) => !isColourKey(key)).map(
          (key) => html`<label ?hidden=${!applies(key, config)}>
            ${label(t, key)}
            <select name=${key} @change=${choose(key)} ?disabled=${o._busy} style=${`--_view:${PICTURE_VIEWS[key] ?? 'none'}`}>
              <button><img src=${picture(key, config[key]!)} alt="" />${valueLabel(t, config[key]!)}</button>
              ${options[key]!.map(
                (value) =>
                  html`<option value=${value} .selected=${value === config[key]} ?disabled=${!applies(key, config, value)}>
                    <img src=${picture(key, value)} alt="" loading="lazy" />${valueLabel(t, value)}
                  </option>`,
              )}
            </select>
          </label>`,
        )}
        ${keys.filter(isColourKey).map(
          (key) => html`<fieldset ?hidden=${!applies(key, config)}>
            <legend>${label(t, key)}</legend>
            <div>
              ${options[key]!.map((value) => {
                const colour = swatchColour(key, value) ?? `url("${cartoonPreviewUrl(o._client, { [key]: value })}")`;
                const name = valueLabel(t, value);
                return html`<input type="radio" name=${key} value=${value} aria-label=${name} title=${name} .checked=${value === config[key]} .style=${`--_swatch:${colour}`} @change=${choose(key)} ?disabled=${o._busy} />`;
              })}
            </div>
          </fieldset>`,
        )}
      </div>
    </div>
    <div class="row" part="actions">
      <button type="button" part="button randomize" @click=${() => (o._onChange(), cartoon.randomize())} ?disabled=${o._busy}>${t.randomize}</button>
      <button type="button" class="primary" part="button save" @click=${o._onSave} aria-disabled=${o._busy}>${t.save}</button>
    </div>
  `;
}
