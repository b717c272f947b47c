// Claude Code model names in agent() options (issue 16.1): scripts written for Claude Code tier their agents with
// `model: 'haiku' | 'sonnet' | 'opus'` (and the other documented aliases, or full names like 'claude-sonnet-4-5'),
// while OpenCode wants 'provider/model'. This file turns either into a model the OpenCode server really offers:
//   1. a user mapping (`models` in .opencode/ocdw.json, else in <OpenCode config dir>/ocdw.json) wins;
//   2. provider/model is used as given, once the server is known to offer it;
//   3. 'default' / 'inherit' mean the run's default model;
//   4. a Claude alias or name picks the matching Claude model of the server's Anthropic provider, if it has one;
//   5. otherwise the run's default model, with a note (said once) that tells the user how to map it.
// Anything else is an unknown model: the agent fails at once, before a session exists.
import { configSection, readOcdwConfigs } from '../store/ocdw-config.js'
import { sanitizeLine } from '../machines/sanitize.js'

/** A name from a script, as shown in a message: one line, no terminal controls, not endless. */
const shown = (name: string) => {
  const line = sanitizeLine(name)
  return line.length > 80 ? line.slice(0, 79) + '…' : line
}


/** Claude Code's model aliases and the model family each one stands for. */
export const CLAUDE_MODEL_ALIASES: Readonly<Record<string, 'haiku' | 'sonnet' | 'opus'>> = Object.freeze({
  haiku: 'haiku',
  sonnet: 'sonnet',
  opus: 'opus',
  'sonnet[1m]': 'sonnet',
  'opus[1m]': 'opus',
  // opusplan plans with Opus and executes with Sonnet; an agent() is one task, so it gets the planner's model.
  opusplan: 'opus',
  best: 'opus',
})

/** Aliases that mean "the model the run would use anyway". */
export const DEFAULT_MODEL_ALIASES: readonly string[] = ['default', 'inherit']

export interface ModelMap {
  /** alias or name (lower case) -> 'provider/model' */
  models: Record<string, string>
  /** Where each entry came from, for messages. */
  sources: Record<string, string>
  /** Problems found while reading the files (bad JSON, a value not in provider/model form). */
  problems: string[]
}

/** What the server offers: provider id -> its model ids. */
export type ModelCatalog = ReadonlyMap<string, readonly string[]>

export class UnknownModelError extends Error {}

/** Reads `models` from the user's then the project's ocdw.json; the project's entries win. Never throws. */
export function loadModelMap(projectDir: string): ModelMap {
  const map: ModelMap = { models: {}, sources: {}, problems: [] }
  for (const file of readOcdwConfigs(projectDir)) {
    const path = file.path
    if (file.error !== undefined) {
      map.problems.push(`${path} is not valid JSON (${file.error}), so its model mapping is ignored; fix the file.`)
      continue
    }
    const models = configSection(file, 'models')
    if (models === undefined) continue
    if (!models || typeof models !== 'object' || Array.isArray(models)) {
      map.problems.push(`"models" in ${path} must be an object like { "haiku": "provider/model" }, so it is ignored.`)
      continue
    }
    for (const [name, value] of Object.entries(models as Record<string, unknown>)) {
      if (typeof value !== 'string' || value.indexOf('/') <= 0) {
        map.problems.push(`"models.${name}" in ${path} must be a "provider/model" string, so it is ignored.`)
        continue
      }
      map.models[name.trim().toLowerCase()] = value.trim()
      map.sources[name.trim().toLowerCase()] = path
    }
  }
  return map
}

/** The Claude family ('haiku' | 'sonnet' | 'opus') an alias or a full Claude model name stands for, if any. */
export function claudeFamily(name: string): 'haiku' | 'sonnet' | 'opus' | undefined {
  const lower = name.trim().toLowerCase()
  if (CLAUDE_MODEL_ALIASES[lower]) return CLAUDE_MODEL_ALIASES[lower]
  const m = /^claude-(?:[\d.-]+-)?(haiku|sonnet|opus)\b/.exec(lower)
  return m ? (m[1] as 'haiku' | 'sonnet' | 'opus') : undefined
}

/** Numbers in a model id, for "newest first" (claude-sonnet-4-5 > claude-sonnet-4 > claude-3-7-sonnet). */
function versionOf(id: string): number[] {
  return id
    .replace(/-\d{8}$/, '')
    .split(/[^\d]+/)
    .filter(Boolean)
    .map(Number)
}

function newerFirst(a: string, b: string): number {
  const va = versionOf(a)
  const vb = versionOf(b)
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const d = (vb[i] ?? -1) - (va[i] ?? -1)
    if (d) return d
  }
  // Same version: the undated (floating) id before a dated snapshot.
  return a.length - b.length
}

/** The Anthropic provider's newest model of a family, or its exact model when `exact` names one it has. */
export function anthropicModel(catalog: ModelCatalog, family: string, exact?: string): string | undefined {
  const models = catalog.get('anthropic')
  if (!models?.length) return undefined
  if (exact && models.includes(exact)) return `anthropic/${exact}`
  const matching = models.filter((id) => id.toLowerCase().includes(family) && !/latest$/.test(id)).sort(newerFirst)
  return matching[0] ? `anthropic/${matching[0]}` : undefined
}

export interface ResolvedModel {
  /** 'provider/model', or undefined for "let OpenCode use its default". */
  model?: string
  /** Said once per requested name in the run's log: the alias fell back to the run's default model. */
  note?: string
}

export interface ResolveModelContext {
  map: ModelMap
  /** Empty when the server's providers are unknown: provider/model names are then used unchecked. */
  catalog: ModelCatalog
  defaultModel?: string
}

function offered(catalog: ModelCatalog, model: string): boolean {
  if (catalog.size === 0) return true
  const slash = model.indexOf('/')
  return catalog.get(model.slice(0, slash))?.includes(model.slice(slash + 1)) ?? false
}

function providerList(catalog: ModelCatalog): string {
  const names = [...catalog.keys()].sort()
  return names.length ? ` (its providers: ${names.join(', ')})` : ''
}

/** Resolves an agent's `model` option; throws UnknownModelError (a one-sentence message) when it names nothing. */
export function resolveModel(requested: string | undefined, ctx: ResolveModelContext): ResolvedModel {
  if (requested === undefined || requested.trim() === '') return { model: ctx.defaultModel }
  const name = requested.trim()
  const lower = name.toLowerCase()
  const mapped = ctx.map.models[lower]
  if (mapped) {
    if (!offered(ctx.catalog, mapped)) {
      throw new UnknownModelError(`The model "${shown(name)}" is mapped to "${mapped}" in ${ctx.map.sources[lower]}, but this OpenCode server does not offer that model${providerList(ctx.catalog)}; fix the mapping.`)
    }
    return { model: mapped }
  }
  if (name.indexOf('/') > 0) {
    if (!offered(ctx.catalog, name)) {
      throw new UnknownModelError(`The model "${shown(name)}" is not offered by this OpenCode server${providerList(ctx.catalog)}; use one of its provider/model names or a Claude alias (haiku, sonnet, opus).`)
    }
    return { model: name }
  }
  if (DEFAULT_MODEL_ALIASES.includes(lower)) return { model: ctx.defaultModel }
  const family = claudeFamily(lower)
  if (family) {
    const claude = anthropicModel(ctx.catalog, family, lower.startsWith('claude-') ? lower : undefined)
    if (claude) return { model: claude }
    return {
      model: ctx.defaultModel,
      note:
        `model "${shown(name)}" runs on the run's default model (${ctx.defaultModel ?? "OpenCode's default"}): this OpenCode has no Anthropic provider ` +
        `with a ${family} model and no mapping for it; map it with { "models": { "${shown(lower)}": "provider/model" } } in .opencode/ocdw.json`,
    }
  }
  throw new UnknownModelError(
    `The model "${shown(name)}" is neither a Claude alias (haiku, sonnet, opus, ...) nor a provider/model name; fix the agent's model option, or map it under "models" in .opencode/ocdw.json.`,
  )
}
