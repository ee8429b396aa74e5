/**
 * @module Whether to colour the table: the conventions of https://no-color.org and https://force-color.org.
 */

/**
 * `FORCE_COLOR` set (to anything but `0` or `false`) forces colour, even into a pipe; otherwise a non-empty
 * `NO_COLOR` turns it off; otherwise colour when stdout is a terminal.
 */
export function shouldColor(env: Readonly<Record<string, string | undefined>>, stdoutIsTTY: boolean): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return stdoutIsTTY;
}
