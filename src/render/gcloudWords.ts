/**
 * @module Words of the gcloud commands pytuner prints for a user to review and run: shell quoting, and gcloud's list
 * arguments. Pure.
 */

/** Single-quotes a value for a POSIX shell when it holds anything but safe characters. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replaceAll("'", `'"'"'`)}'`;
}

/** The items of a gcloud list argument: comma-separated, or after gcloud's `^@^` delimiter when an item holds a comma. */
export function gcloudList(items: readonly string[]): string {
  return items.some((i) => i.includes(',')) ? `^@^${items.join('@')}` : items.join(',');
}
