/** A form field's hint, warning or problem: a paragraph the input names in aria-describedby; nothing when empty. */
export function FieldNote({
  id,
  kind,
  text,
}: {
  id: string;
  kind: 'hint' | 'warning' | 'error';
  text: string | undefined;
}) {
  return text ? (
    <p className={kind} id={id}>
      {text}
    </p>
  ) : null;
}
