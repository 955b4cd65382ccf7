// The panel beside the canvas: one tab at a time (the selected node, the code, …).

import type { ReactNode } from "react";

export interface PanelTab {
  id: string;
  label: string;
  body: ReactNode;
}

export function SidePanel({ tabs, current, onTab }: { tabs: PanelTab[]; current: string; onTab: (id: string) => void }) {
  const shown = tabs.find((t) => t.id === current) ?? tabs[0];
  return (
    <section className="side-panel designer-panel">
      <div role="tablist" aria-label="Panels" className="panel-tabs">
        {tabs.map((t) => (
          <button key={t.id} type="button" role="tab" aria-selected={t.id === shown?.id} onClick={() => onTab(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={shown?.label}>
        {shown?.body}
      </div>
    </section>
  );
}
