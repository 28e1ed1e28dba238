// An ARIA tabs pattern for lit templates: the arrow keys (and Home, End) move to and select the next tab, and
// only the selected tab is in the tab order; each panel is labelled by its tab.
import { html } from 'lit';
import { css } from './styles.ts';

export const tabStyles = css`
  [role='tablist'] {
    display: flex;
    margin-top: 0.75rem;
    border-bottom: 1px solid var(--_border);
  }
  [role='tab'] {
    border: 0;
    border-bottom: 3px solid transparent;
    border-radius: 0;
  }
  [aria-selected='true'] {
    border-color: var(--_accent);
    font-weight: 600;
  }
`;

/**
 * `tabs` maps each tab's id to its label; `renderTabPanel(id, …)` renders the panel it controls. `reach` is told
 * when a pointer or focus comes to the tabs (a panel's chunk can be fetched before it is asked for).
 */
export function renderTabs(label: string, tabs: Record<string, string>, selected: string, select: (id: string) => void, reach?: () => void) {
  const ids = Object.keys(tabs);
  const onKeyDown = (event: KeyboardEvent) => {
    const at = ids.indexOf(selected);
    const next = { ArrowRight: at + 1, ArrowLeft: at + ids.length - 1, Home: 0, End: ids.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select(ids[next % ids.length]!);
    ((event.currentTarget as HTMLElement).children[next % ids.length] as HTMLElement).focus();
  };
  return html`<div role="tablist" aria-label=${label} part="tabs" @keydown=${onKeyDown} @pointerover=${reach} @focusin=${reach}>
    ${ids.map(
      (id) => html`<button type="button" role="tab" id="tab-${id}" part="button tab" aria-controls="panel-${id}" aria-selected=${id === selected} tabindex=${id === selected ? 0 : -1} @click=${() => select(id)}>
        ${tabs[id]}
      </button>`,
    )}
  </div>`;
}

export function renderTabPanel(id: string, selected: string, content: unknown) {
  return html`<div role="tabpanel" id="panel-${id}" aria-labelledby="tab-${id}" part="panel" ?hidden=${id !== selected}>${content}</div>`;
}
