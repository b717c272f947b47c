// expect: {"verdict":"pass","score":3,"labels":["a","b"]}
export const meta = { name: 'schema-agents' }
const VERDICT = { type: 'object', properties: { verdict: { type: 'string', enum: ['pass', 'fail'] }, score: { type: 'integer' } }, required: ['verdict', 'score'] }
const v = await agent('grade this', { schema: VERDICT })
const l = await agent('label this', { schema: { type: 'array', items: { type: 'string' } } })
return { verdict: v.verdict, score: v.score, labels: l }
