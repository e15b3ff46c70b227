/** Settings that work but weaken the connection (Service Status and Test Journal Extraction `warnings`). */
export function Warnings({ items, label, testId }: { items: string[]; label: string; testId: string }) {
  if (items.length === 0) return null;
  return (
    <ul className="warnings" aria-label={label} data-testid={testId}>
      {items.map((warning) => (
        <li key={warning} className="warning">
          <strong>Warning:</strong> {warning}
        </li>
      ))}
    </ul>
  );
}
