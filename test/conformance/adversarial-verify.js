// expect: {"bugs":2,"judged":2}
// parity: P-PIPE-2 P-AGENT-5
export const meta = { name: 'adversarial-verify', phases: [{ title: 'Find' }, { title: 'Refute' }] }
const FOUND = { type: 'object', properties: { bugs: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'string' } } }, required: ['bugs'] }
const VERDICT = { type: 'object', properties: { refuted: { type: 'boolean' } }, required: ['refuted'] }
phase('Find')
const found = await agent('Find bugs in src/', { schema: FOUND })
phase('Refute')
const verdicts = await parallel(found.bugs.map((b) => () => agent(`Try to refute: ${b}`, { schema: VERDICT })))
return { bugs: found.bugs.length, judged: verdicts.filter((v) => typeof v.refuted === 'boolean').length }
