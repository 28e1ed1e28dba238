// The floor the editor's load is judged against (bench/browser-editor.ts): Lit alone, bundled and minified as the
// widget is, defining one element that renders a heading-less section with one button and a status line, with
// one small style sheet in its shadow root. What any Lit widget costs to evaluate and first render, before any
// of its own work.
import { LitElement, css, html } from 'lit';

class LoadFloor extends LitElement {
  static override styles = css`
    :host {
      display: block;
      color: light-dark(#111827, #f3f4f6);
      background: light-dark(#fff, #111827);
    }
    button {
      font: inherit;
      padding: 0.5rem 1rem;
    }
  `;

  static override properties = { label: { type: String } };
  declare label: string;

  constructor() {
    super();
    this.label = 'Choose a photo';
  }

  override render() {
    return html`<section aria-label="Profile picture"><button type="button">${this.label}</button><p role="status"></p></section>`;
  }
}

customElements.define('load-floor', LoadFloor);
