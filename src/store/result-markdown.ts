// A run's result as readable Markdown (report.md, `ocdw show`): Markdown text stays Markdown; a structured result
// becomes headings, lists and tables. The raw value always stays in result.json, so this may shorten and flatten.
// Pure, no I/O.

const MAX_TABLE_COLUMNS = 8
const MAX_ROWS = 200
const MAX_CELL = 200

/** The result as Markdown whose headings start at `level` (2 = `##`), to nest under the report's own headings. */
export function resultMarkdown(result: unknown, level = 2): string {
  if (result === undefined || result === null) return '_The workflow returned nothing._'
  if (typeof result === 'string') return demoteHeadings(result.trim(), level - 1)
  // The bundled workflows return { report: '<markdown>', ...data }: the report is what a person reads.
  if (isRecord(result) && typeof result.report === 'string' && result.report.trim()) {
    const rest = Object.fromEntries(Object.entries(result).filter(([k, v]) => k !== 'report' && isScalar(v)))
    const extra = Object.keys(rest).length ? '\n\n' + scalarList(rest) : ''
    return demoteHeadings(result.report.trim(), level - 1) + extra
  }
  return renderValue(result, level).join('\n').trim()
}

/** Shifts ATX headings down by `by` levels (at most `######`), leaving fenced code alone. */
export function demoteHeadings(markdown: string, by: number): string {
  if (by <= 0) return markdown
  let fenced = false
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
      if (fenced) return line
      const m = /^(#{1,6})(\s.*)$/.exec(line)
      return m ? '#'.repeat(Math.min(6, m[1].length + by)) + m[2] : line
    })
    .join('\n')
}

type Scalar = string | number | boolean | null

function isScalar(v: unknown): v is Scalar {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function heading(level: number, text: string): string {
  return level <= 6 ? `${'#'.repeat(level)} ${text}` : `**${text}**`
}

function inline(v: Scalar): string {
  if (v === null) return '_none_'
  if (typeof v === 'string') return v.replace(/\s*\n\s*/g, ' ')
  return String(v)
}

function scalarList(o: Record<string, unknown>): string {
  return Object.entries(o)
    .map(([k, v]) => `- **${k}**: ${inline(v as Scalar)}`)
    .join('\n')
}

function cell(v: unknown): string {
  const text = isScalar(v) ? inline(v) : Array.isArray(v) && v.every(isScalar) ? v.map((x) => inline(x as Scalar)).join(', ') : JSON.stringify(v)
  const one = text.replace(/\|/g, '\\|')
  return one.length > MAX_CELL ? one.slice(0, MAX_CELL - 1) + '…' : one
}

/** An array of objects whose values are scalars (or lists of scalars) reads best as a table. */
function tableable(items: unknown[]): items is Record<string, unknown>[] {
  return (
    items.length > 0 &&
    items.every((it) => isRecord(it) && Object.values(it).every((v) => isScalar(v) || (Array.isArray(v) && v.every(isScalar))))
  )
}

function table(items: Record<string, unknown>[]): string[] {
  const columns = [...new Set(items.flatMap((it) => Object.keys(it)))].slice(0, MAX_TABLE_COLUMNS)
  const rows = items.slice(0, MAX_ROWS).map((it) => `| ${columns.map((c) => (c in it ? cell(it[c]) : '')).join(' | ')} |`)
  const more = items.length > MAX_ROWS ? [`… and ${items.length - MAX_ROWS} more rows (result.json has them all)`] : []
  return [`| ${columns.map((c) => cell(c)).join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows, ...more]
}

function renderValue(value: unknown, level: number): string[] {
  if (isScalar(value)) return [typeof value === 'string' ? value : inline(value), '']
  if (Array.isArray(value)) {
    if (!value.length) return ['_none_', '']
    if (value.every(isScalar)) return [...value.slice(0, MAX_ROWS).map((v) => `- ${inline(v as Scalar)}`), ...(value.length > MAX_ROWS ? [`- … and ${value.length - MAX_ROWS} more`] : []), '']
    if (tableable(value)) return [...table(value), '']
    const out: string[] = []
    value.slice(0, MAX_ROWS).forEach((v, i) => out.push(heading(level, `${i + 1}.`), '', ...renderValue(v, level + 1)))
    return out
  }
  const entries = Object.entries(value as Record<string, unknown>)
  if (!entries.length) return ['_empty_', '']
  // Short scalars first as one list, then each longer or nested value under its own heading.
  const short = entries.filter(([, v]) => isScalar(v) && !(typeof v === 'string' && (v.includes('\n') || v.length > 120)))
  const long = entries.filter((e) => !short.includes(e))
  const out: string[] = []
  if (short.length) out.push(scalarList(Object.fromEntries(short)), '')
  for (const [k, v] of long) out.push(heading(level, k), '', ...renderValue(v, level + 1))
  return out
}
