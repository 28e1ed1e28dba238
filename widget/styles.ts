// Styles of <avatar-editor>. Everything themable goes through --avatar-editor-* custom properties and ::part.
import { unsafeCSS } from 'lit';

/**
 * The widget's css`…` tag: none of its style sheets interpolates anything, so the text goes straight to
 * unsafeCSS and Lit's own css tag (its checks of interpolated values and their messages) stays out of the bundle.
 */
export const css = (strings: TemplateStringsArray) => unsafeCSS(strings[0]);

export const editorStyles = css`
  :host {
    /* light-dark() follows the colour scheme the host has: the page's where it sets one (see \`theme\`). */
    --_accent: var(--avatar-editor-accent, light-dark(#2563eb, #60a5fa));
    --_fg: var(--avatar-editor-color, light-dark(#111827, #f3f4f6));
    --_bg: var(--avatar-editor-background, light-dark(#fff, #111827));
    --_muted: var(--avatar-editor-muted, light-dark(#6b7280, #9ca3af));
    --_border: var(--avatar-editor-border, light-dark(#d1d5db, #374151));
    --_error: var(--avatar-editor-error, light-dark(#b91c1c, #fca5a5));
    --_radius: var(--avatar-editor-radius, 8px);
    display: block;
    color: var(--_fg);
    background: var(--_bg);
    font: inherit;
    max-width: 36rem;
  }
  /* theme="auto" on a page that sets no colour scheme: the system's. Native parts (checkboxes, scrollbars)
     follow the scheme too. */
  :host(:state(os)) {
    color-scheme: light dark;
  }
  :host([theme='light']) {
    color-scheme: light;
  }
  :host([theme='dark']) {
    color-scheme: dark;
  }
  section {
    padding: 1rem;
  }
  :host([disabled]) {
    opacity: 0.6;
    pointer-events: none;
  }
  .current img {
    border-radius: var(--_shape-radius);
    background: var(--_border);
  }
  :host([shape='square']) {
    --_shape-radius: 4px;
  }
  :host(:not([shape='square'])) {
    --_shape-radius: 50%;
  }
  /* A file button: a label around a hidden input (the :has() rule stays out of the crop and camera views). */
  label.button:has(:disabled, [aria-disabled='true']) {
    opacity: 0.5;
    cursor: not-allowed;
  }
  .warning {
    margin: 0.75rem 0;
    padding: 0.5rem 0.75rem;
    border-left: 4px solid var(--_accent);
    background: color-mix(in srgb, var(--_accent) 12%, transparent);
  }
  .drop {
    border: 2px dashed var(--_border);
    border-radius: var(--_radius);
    padding: 1rem;
    margin: 0.75rem 0;
    text-align: center;
  }
  :host(:state(drop)) {
    outline: 3px dashed var(--_accent);
    outline-offset: -3px;
  }
`;

/** Buttons, inputs, rows, hints and focus rings, drawn alike in every part of the widget with the theme's --_ variables. */
export const controlStyles = css`
  [hidden] {
    display: none !important;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }
  .row + .row {
    margin-top: 0.75rem;
  }
  .hint {
    color: var(--_muted);
    font-size: 0.9em;
    margin: 0.5rem 0 0;
  }
  button,
  label.button {
    font: inherit;
    cursor: pointer;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: transparent;
    color: inherit;
    padding: 0.4rem 0.8rem;
    display: inline-flex;
    gap: 0.3rem;
    align-items: center;
  }
  button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    /* The background colour reads on the accent in both themes (white on the light theme's blue). */
    color: var(--_bg);
  }
  /* Busy buttons are aria-disabled, not disabled: they keep focus (and say they are unavailable). */
  button:disabled,
  [aria-disabled='true'] {
    opacity: 0.5;
    cursor: not-allowed;
  }
  input[type='text'] {
    font: inherit;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 0.4rem 0.6rem;
  }
  input[aria-invalid='true'] {
    border-color: var(--_error);
  }
  [type='checkbox'] {
    accent-color: var(--_accent);
  }
  button:focus-visible,
  input:focus-visible,
  label.button:focus-within {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  input[type='file'] {
    position: absolute;
    width: 1px;
    height: 1px;
    opacity: 0;
    overflow: hidden;
  }
  .status {
    min-height: 1.4em;
    margin: 0.5rem 0;
  }
  .error {
    color: var(--_error);
  }
  progress {
    width: 100%;
    accent-color: var(--_accent);
  }
  @media (prefers-reduced-motion: reduce) {
    * {
      transition: none !important;
      animation: none !important;
    }
  }
`;
