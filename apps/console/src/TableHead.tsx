/** A table's screen-reader caption and its column headers (`number` columns align right). */
export function TableHead({ caption, columns }: { caption: string; columns: Array<string | { number: string }> }) {
  return (
    <>
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) =>
            typeof column === 'string' ? (
              <th scope="col" key={column}>
                {column}
              </th>
            ) : (
              <th scope="col" className="number" key={column.number}>
                {column.number}
              </th>
            ),
          )}
        </tr>
      </thead>
    </>
  );
}
