/**
 * @module CPU time of a process's waited-for children, from /proc/<pid>/stat (proc(5)): fields 16 `cutime` and 17
 * `cstime`, in clock ticks. Read before and after a child runs, the difference is the child's CPU time (and its
 * descendants', once they were waited for) at a resolution of one tick.
 */

/** Clock ticks per second of /proc times: USER_HZ, 100 on every Linux architecture's user-space ABI. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** `cutime + cstime` of a /proc/<pid>/stat line, in ticks; undefined when the text is not such a line. */
export function childCpuTicks(procStat: string): number | undefined {
  // The command name (field 2) is in parentheses and may contain spaces and ')': fields restart after the last ')'.
  const end = procStat.lastIndexOf(')');
  if (end === -1) return undefined;
  const fields = procStat.slice(end + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const cutime = Number(fields[16 - 3]);
  const cstime = Number(fields[17 - 3]);
  return Number.isInteger(cutime) && Number.isInteger(cstime) ? cutime + cstime : undefined;
}
