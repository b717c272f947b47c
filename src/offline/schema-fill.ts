// Builds a deterministic object that satisfies a JSON schema: what the offline model passes to OpenCode's
// StructuredOutput tool. Handles types, required/properties, enum/const, min/max items, string lengths and common
// formats, numeric bounds, nesting, anyOf/oneOf/allOf and local $refs. Strings are derived from the prompt.
import { hash32, hashWords, prng } from './hash.js'

type Schema = Record<string, unknown>

export interface FillContext {
  /** Text the strings are derived from (usually the last user message). */
  prompt: string
  /** The root schema, for resolving "#/..." references. */
  root?: Schema
}

export function fillSchema(schema: unknown, ctx: FillContext): unknown {
  const root = (ctx.root ?? (isObj(schema) ? schema : {})) as Schema
  return fill(schema, 'value', root, ctx.prompt, 0)
}

function fill(raw: unknown, key: string, root: Schema, prompt: string, depth: number): unknown {
  if (raw === true || raw === undefined || !isObj(raw)) return textFor(key, prompt, {})
  let s = resolveRef(raw, root)
  if (Array.isArray(s.allOf)) s = mergeAll(s, s.allOf.map((x) => resolveRef(x as Schema, root)))
  if ('const' in s) return s.const
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[hash32(`${prompt}|${key}`) % s.enum.length]
  const alt = (s.anyOf ?? s.oneOf) as unknown[] | undefined
  if (Array.isArray(alt) && alt.length) {
    const pick = alt.find((a) => isObj(a) && a.type !== 'null') ?? alt[0]
    return fill({ ...s, anyOf: undefined, oneOf: undefined, ...(pick as Schema) }, key, root, prompt, depth)
  }
  const type = pickType(s)
  switch (type) {
    case 'object':
      return fillObject(s, key, root, prompt, depth)
    case 'array':
      return fillArray(s, key, root, prompt, depth)
    case 'integer':
    case 'number':
      return fillNumber(s, type, `${prompt}|${key}`)
    case 'boolean':
      return hash32(`${prompt}|${key}`) % 2 === 0
    case 'null':
      return null
    default:
      return textFor(key, prompt, s)
  }
}

function pickType(s: Schema): string {
  const t = s.type
  if (typeof t === 'string') return t
  if (Array.isArray(t)) return (t.find((x) => x !== 'null') as string | undefined) ?? 'null'
  if (isObj(s.properties)) return 'object'
  if (s.items !== undefined) return 'array'
  return 'string'
}

function fillObject(s: Schema, key: string, root: Schema, prompt: string, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const props = (isObj(s.properties) ? s.properties : {}) as Record<string, unknown>
  const required = Array.isArray(s.required) ? (s.required as string[]) : []
  // Deep schemas: below depth 6 fill only what is required, so recursive schemas terminate.
  const names = depth < 6 ? [...new Set([...Object.keys(props), ...required])] : required
  for (const name of names) out[name] = fill(props[name] ?? {}, name, root, prompt, depth + 1)
  const min = typeof s.minProperties === 'number' ? s.minProperties : 0
  for (let i = 0; Object.keys(out).length < min; i++) out[`${key}_${i}`] = textFor(key, prompt, {})
  return out
}

function fillArray(s: Schema, key: string, root: Schema, prompt: string, depth: number): unknown[] {
  const min = typeof s.minItems === 'number' ? s.minItems : 0
  const max = typeof s.maxItems === 'number' ? s.maxItems : Math.max(min, 3)
  const wanted = Math.min(max, Math.max(min, depth < 6 ? 2 : 0))
  const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : []
  const items = Array.isArray(s.items) ? undefined : s.items
  const out: unknown[] = []
  for (let i = 0; i < wanted; i++) {
    const item = prefix[i] ?? (Array.isArray(s.items) ? s.items[i] : items) ?? {}
    out.push(fill(item, `${singular(key)}${i + 1}`, root, prompt, depth + 1))
  }
  // uniqueItems: drop duplicates (enums and booleans can repeat) unless that would go below minItems.
  if (s.uniqueItems === true) {
    const unique = out.filter((v, i) => out.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) === i)
    if (unique.length >= min) return unique
  }
  return out
}

function fillNumber(s: Schema, type: string, seedText: string): number {
  const lo = num(s.minimum) ?? (num(s.exclusiveMinimum) !== undefined ? num(s.exclusiveMinimum)! + (type === 'integer' ? 1 : 0.5) : undefined)
  const hi = num(s.maximum) ?? (num(s.exclusiveMaximum) !== undefined ? num(s.exclusiveMaximum)! - (type === 'integer' ? 1 : 0.5) : undefined)
  const low = lo ?? (hi !== undefined ? hi - 10 : 1)
  const high = hi ?? low + 10
  const r = prng(hash32(seedText))()
  let v = low + r * (high - low)
  if (type === 'integer') v = Math.min(Math.floor(high), Math.max(Math.ceil(low), Math.round(v)))
  else v = Math.round(v * 100) / 100
  const multiple = num(s.multipleOf)
  if (multiple) {
    const m = Math.ceil(low / multiple) * multiple
    v = m <= high ? m : v
  }
  return v
}

function textFor(key: string, prompt: string, s: Schema): string {
  const fmt = s.format
  const h = hash32(`${prompt}|${key}`)
  let text: string
  if (fmt === 'date-time') text = new Date(Date.UTC(2024, 0, 1) + (h % 365) * 86_400_000).toISOString()
  else if (fmt === 'date') text = new Date(Date.UTC(2024, 0, 1) + (h % 365) * 86_400_000).toISOString().slice(0, 10)
  else if (fmt === 'email') text = `${hashWords(prompt + key, 1)[0]}@example.com`
  else if (fmt === 'uri' || fmt === 'url') text = `https://example.com/${hashWords(prompt + key, 2).join('-')}`
  else if (fmt === 'uuid') text = uuidFrom(`${prompt}|${key}`)
  else {
    const topic = prompt.replace(/\s+/g, ' ').trim().slice(0, 60)
    text = `${key}: ${hashWords(prompt + key, 2).join(' ')}${topic ? ` (${topic})` : ''}`
  }
  const min = num(s.minLength) ?? 0
  const max = num(s.maxLength)
  while (text.length < min) text += ` ${hashWords(text, 1)[0]}`
  if (max !== undefined && text.length > max) text = text.slice(0, max)
  return text
}

function uuidFrom(text: string): string {
  const next = prng(hash32(text))
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

function resolveRef(s: Schema, root: Schema, seen = 0): Schema {
  if (typeof s.$ref !== 'string' || !s.$ref.startsWith('#') || seen > 20) return s
  let target: unknown = root
  for (const part of s.$ref.slice(1).split('/').filter(Boolean)) target = isObj(target) ? target[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))] : undefined
  if (!isObj(target)) return {}
  const { $ref: _ref, ...rest } = s
  return resolveRef({ ...target, ...rest }, root, seen + 1)
}

function mergeAll(base: Schema, parts: Schema[]): Schema {
  const out: Schema = { ...base, allOf: undefined }
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'properties' && isObj(out.properties) && isObj(v)) out.properties = { ...out.properties, ...v }
      else if (k === 'required' && Array.isArray(out.required) && Array.isArray(v)) out.required = [...out.required, ...v]
      else if (out[k] === undefined) out[k] = v
    }
  }
  return out
}

function singular(key: string): string {
  return key.endsWith('s') && key.length > 1 ? key.slice(0, -1) : key
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
