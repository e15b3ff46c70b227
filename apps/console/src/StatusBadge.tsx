import type { ServiceState } from './api.js';

export const STATUS_LABEL: Record<ServiceState, string> = {
  'awaiting-initial-run': 'Awaiting initial run',
  ok: 'OK',
  error: 'Error',
  suspended: 'Suspended',
};

const ICON: Record<ServiceState, string> = {
  'awaiting-initial-run': '◷',
  ok: '✓',
  error: '✕',
  suspended: '⏸',
};

/** The Service Status icon with its text (the icon alone is hidden from screen readers). */
export function StatusBadge({ state }: { state: ServiceState }) {
  return (
    <span className={`badge badge-${state}`} data-status={state}>
      <span aria-hidden="true" className="icon">
        {ICON[state]}
      </span>
      {STATUS_LABEL[state]}
    </span>
  );
}
