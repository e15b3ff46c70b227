const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * Every operation of a running status service, from its OpenAPI document (built from the
 * controllers: a new route appears here without anyone listing it), as `METHOD /path/{param}`.
 */
export async function documentedOperations(baseUrl: string): Promise<string[]> {
  const response = await fetch(`${baseUrl}/docs-json`);
  const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths)
    .flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => HTTP_METHODS.has(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}
