/** For the `default` branch of a `switch` over a union: a case left out makes `value` not `never`, and `tsc` fails. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
