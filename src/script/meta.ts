// Reads a workflow script without running it: the `export const meta = {...}` literal (what approval shows), the
// body the sandbox runs (meta removed, line numbers kept), and warnings a careful author would want to see.
// Syntax errors, a missing or non-literal meta, and import/export statements are refused here with a ScriptError.
import { parse, type Node } from 'acorn'
import { z } from 'zod'
import { ScriptError } from './errors.js'

export interface ScriptMeta {
  name: string
  description?: string
  phases?: { title: string; detail?: string }[]
  whenToUse?: string
  model?: string
  /** What the workflow takes as `args` (shown by `ocdw workflows` and the approval prompt). */
  args?: string
}

export interface ParsedScript {
  source: string
  meta: ScriptMeta
  /** The source with the meta statement replaced by as many newlines as it spanned: lines map 1:1 to `source`. */
  body: string
  warnings: string[]
}

const nonEmpty = z.string().trim().min(1)
const MetaSchema = z.object({
  name: nonEmpty,
  description: z.string().optional(),
  phases: z.array(z.object({ title: nonEmpty, detail: z.string().optional() })).optional(),
  whenToUse: z.string().optional(),
  model: nonEmpty.optional(),
  args: z.string().optional(),
})

const SHAPE = "export const meta = { name: 'my-workflow', description: '...', phases: [{ title: 'Survey' }] }"

type AnyNode = Node & Record<string, any>

function at(node: AnyNode): { line: number; column: number } {
  return { line: node.loc!.start.line, column: node.loc!.start.column + 1 }
}

/** Evaluates a pure literal AST node (no calls, variables, spreads, computed keys or template expressions). */
function literalValue(node: AnyNode): unknown {
  const refuse = (what: string): never => {
    throw new ScriptError(
      `meta must be a pure literal (objects, arrays, strings, numbers, booleans, null), but it contains ${what}. Write the value out in place; meta is read without running the script.`,
      at(node),
    )
  }
  switch (node.type) {
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {}
      for (const p of node.properties as AnyNode[]) {
        if (p.type !== 'Property') refuse('a spread (...)')
        if (p.computed) refuse('a computed key ([...])')
        if (p.kind !== 'init' || p.method) refuse('a method or getter')
        if (p.shorthand) refuse(`a shorthand property (${p.key.name}) that reads a variable`)
        const key = p.key.type === 'Identifier' ? p.key.name : String(p.key.value)
        out[key] = literalValue(p.value)
      }
      return out
    }
    case 'ArrayExpression':
      return (node.elements as (AnyNode | null)[]).map((e) => {
        if (!e) return refuse('an array hole')
        if (e.type === 'SpreadElement') refuse('a spread (...)')
        return literalValue(e)
      })
    case 'Literal':
      if (node.regex) refuse('a regular expression')
      if (node.bigint !== undefined) refuse('a BigInt')
      return node.value
    case 'TemplateLiteral':
      if (node.expressions.length) refuse('a template string with ${...} expressions')
      return node.quasis[0].value.cooked
    case 'UnaryExpression':
      if ((node.operator === '-' || node.operator === '+') && node.argument.type === 'Literal' && typeof node.argument.value === 'number') {
        return node.operator === '-' ? -node.argument.value : node.argument.value
      }
      return refuse(`the expression "${node.operator}..."`)
    case 'Identifier':
      return refuse(`the variable "${node.name}"`)
    case 'CallExpression':
    case 'NewExpression':
      return refuse('a function call')
    default:
      return refuse(`an expression (${node.type})`)
  }
}

/** Visits every AST node (children of all object/array fields that look like nodes). */
function walk(node: AnyNode, visit: (n: AnyNode) => void): void {
  visit(node)
  for (const key of Object.keys(node)) {
    if (key === 'loc') continue
    const v = node[key]
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === 'string') walk(c, visit)
    } else if (v && typeof v === 'object' && typeof v.type === 'string') walk(v, visit)
  }
}

function parseSyntax(source: string): AnyNode {
  try {
    return parse(source, {
      ecmaVersion: 'latest',
      sourceType: 'module',
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      locations: true,
    }) as AnyNode
  } catch (err) {
    const e = err as SyntaxError & { loc?: { line: number; column: number } }
    const message = e.message.replace(/\s*\(\d+:\d+\)\s*$/, '')
    throw new ScriptError(
      `The script has a syntax error: ${message}. Fix the JavaScript at that place.`,
      e.loc ? { line: e.loc.line, column: e.loc.column + 1 } : undefined,
    )
  }
}

export function parseScript(source: string): ParsedScript {
  const program = parseSyntax(source)
  const first = program.body[0] as AnyNode | undefined
  const decl = first?.type === 'ExportNamedDeclaration' ? (first.declaration as AnyNode | null) : null
  const declarator = decl?.type === 'VariableDeclaration' && decl.declarations.length === 1 ? (decl.declarations[0] as AnyNode) : null
  if (!first || !decl || decl.kind !== 'const' || !declarator || declarator.id.type !== 'Identifier' || declarator.id.name !== 'meta') {
    throw new ScriptError(
      `A workflow script must start with its meta as the first statement, like: ${SHAPE}. Move or add that statement at the top of the script.`,
      first ? at(first) : { line: 1, column: 1 },
    )
  }
  if (!declarator.init) throw new ScriptError(`meta has no value; write it as: ${SHAPE}.`, at(declarator))

  const raw = literalValue(declarator.init)
  const checked = MetaSchema.safeParse(raw)
  if (!checked.success) {
    const problems = checked.error.issues
      .map((i) => `meta${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`)
      .join('; ')
    throw new ScriptError(`The script's meta is not valid (${problems}). meta needs at least a non-empty name, like: ${SHAPE}.`, at(first))
  }
  const meta: ScriptMeta = checked.data

  for (const stmt of program.body.slice(1) as AnyNode[]) {
    if (stmt.type === 'ImportDeclaration') {
      throw new ScriptError('Workflow scripts cannot import modules; use the globals (agent, parallel, pipeline, workflow...) instead and remove the import.', at(stmt))
    }
    if (stmt.type.startsWith('Export')) {
      throw new ScriptError('Only `export const meta` may be exported; remove the other export and return the result instead.', at(stmt))
    }
  }

  const titles = meta.phases?.map((p) => p.title)
  const warnings: string[] = []
  const checkPhase = (title: unknown, node: AnyNode, how: (t: string) => string) => {
    if (!titles || typeof title !== 'string' || titles.includes(title)) return
    warnings.push(
      `${how(title)} at line ${node.loc!.start.line} names a phase that is not in meta.phases (${titles.join(', ')}); add it to meta.phases or use one of those titles.`,
    )
  }
  walk(program, (n) => {
    if (n.type === 'ImportExpression') {
      throw new ScriptError('Workflow scripts cannot import modules (import() is not available); use the globals instead.', at(n))
    }
    if (n.type !== 'CallExpression' || n.callee.type !== 'Identifier') return
    const arg0 = n.arguments[0] as AnyNode | undefined
    const literal = (a?: AnyNode) => (a?.type === 'Literal' ? a.value : a?.type === 'TemplateLiteral' && !a.expressions.length ? a.quasis[0].value.cooked : undefined)
    if (n.callee.name === 'phase') checkPhase(literal(arg0), n, (t) => `phase('${t}')`)
    if (n.callee.name === 'agent' && n.arguments[1]?.type === 'ObjectExpression') {
      for (const p of n.arguments[1].properties as AnyNode[]) {
        if (p.type === 'Property' && !p.computed && (p.key.name ?? p.key.value) === 'phase') checkPhase(literal(p.value), p, (t) => `agent(..., { phase: '${t}' })`)
      }
    }
  })

  const statement = source.slice(first.start, first.end)
  const newlines = '\n'.repeat((statement.match(/\n/g) ?? []).length)
  const body = source.slice(0, first.start) + newlines + source.slice(first.end)
  return { source, meta, body, warnings }
}

/** The script's meta description, or undefined when it has none or does not parse (for listings and commands). */
export function descriptionOf(source: string): string | undefined {
  try {
    return parseScript(source).meta.description
  } catch {
    return undefined
  }
}
