// expect: {"owner":true,"reviewer":true,"tags":true}
// parity: P-AGENT-5
// e2e
export const meta = { name: 'schema-nullable' }
const SCHEMA = {
  type: 'object',
  properties: { owner: { type: ['string', 'null'] }, reviewer: { anyOf: [{ type: 'string' }, { type: 'null' }] }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['owner', 'reviewer', 'tags'],
}
const r = await agent('Who owns src/cache.js? null if nobody.', { schema: SCHEMA })
const nullableOk = (v) => v === null || typeof v === 'string'
return { owner: nullableOk(r.owner), reviewer: nullableOk(r.reviewer), tags: Array.isArray(r.tags) }
