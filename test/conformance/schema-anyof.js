// expect: {"valueOk":true,"unitOk":true}
// parity: P-AGENT-5
// e2e
export const meta = { name: 'schema-anyof' }
const SCHEMA = {
  type: 'object',
  properties: { value: { anyOf: [{ type: 'number' }, { type: 'string' }] }, unit: { type: 'string' } },
  required: ['value', 'unit'],
}
const r = await agent('How long does the build take? Give value and unit.', { schema: SCHEMA })
return { valueOk: typeof r.value === 'number' || typeof r.value === 'string', unitOk: typeof r.unit === 'string' }
