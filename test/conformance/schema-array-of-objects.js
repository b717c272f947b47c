// expect: {"isArray":true,"some":true,"ok":true}
// parity: P-AGENT-5
// e2e
export const meta = { name: 'schema-array-of-objects' }
const FINDINGS = {
  type: 'object',
  properties: {
    findings: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', properties: { file: { type: 'string' }, line: { type: 'integer' }, severity: { type: 'string', enum: ['low', 'medium', 'high'] } }, required: ['file', 'line', 'severity'] },
    },
  },
  required: ['findings'],
}
const r = await agent('Audit src/ and list findings.', { schema: FINDINGS })
const ok = r.findings.every((f) => typeof f.file === 'string' && Number.isInteger(f.line) && ['low', 'medium', 'high'].includes(f.severity))
return { isArray: Array.isArray(r.findings), some: r.findings.length > 0, ok }
