export const meta = {
  name: 'codebase-audit',
  description: 'Audit a codebase: survey it into areas, one auditor per area reports findings with file:line, each finding faces an adversarial reviewer, and the report lists the confirmed findings by severity.',
  whenToUse: 'Find real bugs or security problems across a whole repository.',
  phases: [
    { title: 'Survey', detail: 'split the tree into areas' },
    { title: 'Audit', detail: 'one agent per area: findings with file:line' },
    { title: 'Review', detail: 'an adversarial reviewer tries to refute each finding' },
    { title: 'Report', detail: 'confirmed findings by severity' },
  ],
  args: 'optional focus (text), e.g. "security" or "error handling"; or { focus, maxAreas }',
}

const input = typeof args === 'string' ? { focus: args } : args && typeof args === 'object' ? args : {}
const focus = String(input.focus ?? 'bugs, security problems and error handling').trim()
const maxAreas = Math.max(1, Math.min(50, Number(input.maxAreas) || 12))

const AREAS = {
  type: 'object',
  properties: {
    areas: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, paths: { type: 'array', items: { type: 'string' } } }, required: ['name', 'paths'] },
      minItems: 1,
    },
  },
  required: ['areas'],
}
const FINDINGS = {
  type: 'object',
  properties: {
    findings: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          file: { type: 'string' },
          line: { type: 'integer' },
          severity: { type: 'string', enum: ['critical', 'high', 'medium', 'low'] },
          title: { type: 'string' },
          detail: { type: 'string' },
        },
        required: ['file', 'line', 'severity', 'title', 'detail'],
      },
    },
  },
  required: ['findings'],
}
const VERDICT = {
  type: 'object',
  properties: { verdict: { type: 'string', enum: ['confirmed', 'refuted'] }, reason: { type: 'string' } },
  required: ['verdict', 'reason'],
}

phase('Survey')
const survey = await agent(
  `Survey this repository (use list/glob/read). Split the source tree into at most ${maxAreas} areas an auditor can each cover in one sitting; give each area a name and its paths.`,
  { label: 'survey', schema: AREAS },
)
const areas = (survey?.areas ?? []).slice(0, maxAreas)
if (!areas.length) throw new Error('The survey agent found no areas to audit; check that the run started in the repository.')
log(`${areas.length} areas to audit`)

const reviewed = await pipeline(
  areas,
  (area) =>
    agent(
      `Audit the area "${area.name}" (${area.paths.join(', ')}) for ${focus}. Read the code. Report only real problems, each with the file path, the line number, a severity, a title and why it is a problem. An empty list is a fine answer.`,
      { label: `audit ${area.name}`, phase: 'Audit', schema: FINDINGS },
    ),
  (result, area) =>
    parallel(
      (result?.findings ?? []).map((f) => () =>
        agent(
          `You are an adversarial reviewer. Try to refute this finding; confirm it only if it holds up.\nFinding: ${f.title} at ${f.file}:${f.line} (${f.severity})\n${f.detail}\nRead ${f.file} around line ${f.line} and decide.`,
          { label: `review ${f.file}:${f.line}`, phase: 'Review', schema: VERDICT },
        ).then((v) => ({ ...f, area: area.name, verdict: v?.verdict ?? 'unreviewed', reason: v?.reason ?? 'the reviewer did not answer' })),
      ),
    ),
)

phase('Report')
const all = reviewed.filter(Boolean).flat().filter(Boolean)
const confirmed = all.filter((f) => f.verdict === 'confirmed')
const refuted = all.filter((f) => f.verdict !== 'confirmed')
const order = ['critical', 'high', 'medium', 'low']
confirmed.sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity) || a.file.localeCompare(b.file) || a.line - b.line)
const lines = [`# Audit: ${focus}`, '', `${confirmed.length} confirmed findings (${refuted.length} refuted or unreviewed) in ${areas.length} areas.`, '']
for (const sev of order) {
  const list = confirmed.filter((f) => f.severity === sev)
  if (!list.length) continue
  lines.push(`## ${sev}`, '')
  for (const f of list) lines.push(`- \`${f.file}:${f.line}\` ${f.title} — ${f.detail}`)
  lines.push('')
}
return { report: lines.join('\n'), confirmed, refuted, areas: areas.map((a) => a.name) }
