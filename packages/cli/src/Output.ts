/**
 * Where commands print: text for people (colour only on a terminal that wants it), or
 * JSON for machines with `--json`. Errors always go to stderr.
 */
export interface Output {
  readonly json: boolean
  readonly color: boolean
  /** True when stdout is a terminal: progress may redraw lines. */
  readonly interactive: boolean
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Prints a value as one JSON document (for `--json`). */
  readonly data: (value: unknown) => void
}

export const makeOutput = (flags: { json?: boolean; noColor?: boolean }): Output => {
  const tty = Boolean(process.stdout.isTTY)
  const color = tty && !flags.noColor && !process.env.NO_COLOR && process.env.TERM !== "dumb"
  return {
    json: Boolean(flags.json),
    color,
    interactive: tty && !flags.json,
    out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
    data: (v) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`),
  }
}

const wrap = (code: number) => (enabled: boolean, text: string) =>
  enabled ? `\u001b[${code}m${text}\u001b[0m` : text
export const red = wrap(31)
export const green = wrap(32)
export const yellow = wrap(33)
export const dim = wrap(2)
export const bold = wrap(1)
