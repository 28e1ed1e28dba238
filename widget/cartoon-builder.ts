// The Cartoon tab of <avatar-editor>: a live preview drawn by the server, one control per option (swatches for
// colours, a list for the rest), Randomize and Save. The state lives in CartoonController; nothing of the
// drawing is in the widget.
import { html, nothing } from 'lit';
import { css } from './styles.ts';
import type { CartoonController } from './controllers/cartoon-controller.ts';
import { cartoonPreviewUrl } from './api/avatar-config.ts';
import type { ApiClient } from './api/client.ts';
import { humanise, isColourKey, swatchColour } from './cartoon-names.ts';
import type { Strings } from './i18n.ts';

export const cartoonStyles = css`
  .cartoon {
    display: flex;
    flex-wrap: wrap;
    gap: 1rem;
    margin: 0.75rem 0;
  }
  .cartoon > img {
    width: 8rem;
    height: 8rem;
    border-radius: var(--_shape-radius);
    background: var(--_border);
  }
  .options {
    flex: 1 1 16rem;
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr));
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
  select {
    min-width: 0;
    font: inherit;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 0.3rem;
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
  :checked {
    box-shadow: 0 0 0 2px var(--_bg), 0 0 0 4px var(--_fg);
  }
  select:focus-visible,
  [type='radio']:focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 3px;
  }
`;

export interface CartoonBuilderOptions {
  _client: ApiClient;
  _busy: boolean;
  _onSave: () => void;
  /** The user changed a choice (the host clears what its status line said about the last action). */
  _onChange: () => void;
}

const label = (t: Strings, key: string) => (t as unknown as Record<string, string | undefined>)[key] ?? humanise(key);
const valueLabel = (t: Strings, value: string) => (value.toLowerCase() === 'blank' ? t.noOption : humanise(value));

export function renderCartoonBuilder(cartoon: CartoonController, t: Strings, o: CartoonBuilderOptions) {
  const { options, config } = cartoon;
  // Until the options arrive there is nothing to choose from; a failed load offers Try again in the status line.
  if (!options) return nothing;
  const keys = Object.keys(options);
  const choose = (key: string) => (event: Event) => (o._onChange(), cartoon.set({ [key]: (event.target as HTMLInputElement | HTMLSelectElement).value }));
  return html`
    <div class="cartoon">
      <img src=${cartoon.previewUrl} alt=${t.preview} part="cartoon-preview" />
      <div class="options" part="cartoon-options">
        ${keys.filter((key) => !isColourKey(key)).map(
          (key) => html`<label>
            ${label(t, key)}
            <select name=${key} @change=${choose(key)} ?disabled=${o._busy}>
              ${options[key]!.map((value) => html`<option value=${value} .selected=${value === config[key]}>${valueLabel(t, value)}</option>`)}
            </select>
          </label>`,
        )}
        ${keys.filter(isColourKey).map(
          (key) => html`<fieldset>
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
