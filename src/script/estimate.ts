// A static estimate of how many agents a script can start, for the approval caution: agent() calls outside loops
// count once; any inside a loop, a callback (map/pipeline/parallel thunks) or a workflow() make it open-ended.
import * as acorn from 'acorn'

export function estimateAgents(source: string): { max: number; unbounded: boolean } {
  let ast: acorn.Node
  try {
    ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true, allowReturnOutsideFunction: true })
  } catch {
    return { max: 0, unbounded: true }
  }
  let max = 0
  let unbounded = false
  const walk = (node: any, inRepeat: boolean): void => {
    if (!node || typeof node.type !== 'string') return
    const repeat =
      inRepeat ||
      /^(For|ForIn|ForOf|While|DoWhile)Statement$/.test(node.type) ||
      node.type === 'ArrowFunctionExpression' ||
      node.type === 'FunctionExpression' ||
      node.type === 'FunctionDeclaration'
    if (node.type === 'CallExpression' && node.callee.type === 'Identifier') {
      const name = node.callee.name
      if (['agent', 'vote', 'review', 'workflow'].includes(name)) {
        if (inRepeat || name !== 'agent') unbounded = true
        else max++
      }
    }
    for (const key of Object.keys(node)) {
      const child = node[key]
      if (Array.isArray(child)) child.forEach((c) => walk(c, repeat))
      else if (child && typeof child === 'object' && typeof child.type === 'string') walk(child, repeat)
    }
  }
  walk(ast, false)
  return { max, unbounded }
}
