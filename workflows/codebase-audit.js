export const meta = {
  name: 'codebase-audit',
  description: 'Audit a codebase: survey it into areas, one auditor per area reports findings with file:line, each finding faces an adversarial reviewer, and the report lists the confirmed findings by severity.',
  whenToUse: 'Find real bugs or security problems across a whole repository.',
  phases: [
    { title: 'Survey', detail: 'split the tree into areas' },
    { title: 'Audit', detail: 'one agent per area: findings with file:line' },
    { title: 'Review', detail: 'review(): an adversarial reviewer tries to refute each finding' },
    { title: 'Report', detail: 'confirmed findings by severity' },
  ],
  args: 'optional focus (text), e.g. "security" or "error handling"; or { focus?, maxAreas?: number (1-50, default 12) }. Honours --budget: what could not be audited or reviewed is listed as not checked.',
}

// Claude Code's semantics: agent() throws once the token budget is spent (or the agent cap is reached). This
// workflow treats such an agent like a failed one (null) and reports what it could not afford.
const agentOrNull = (prompt, opts) => agent(prompt, opts).catch((e) => { log(String(e && e.message ? e.message : e)); return null })

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
// Out of tokens? agent() then throws and agentOrNull() returns null; say so instead of blaming the model.
const budgetSpent = () => budget.total !== null && budget.remaining() === 0

phase('Survey')
const survey = await agentOrNull(
  `Survey this repository (use list/glob/read). Split the source tree into at most ${maxAreas} areas an auditor can each cover in one sitting; give each area a name and its paths.`,
  { label: 'survey', schema: AREAS },
)
// Surveys repeat themselves: the same area under the same name (its paths merged), or under another name with paths
// an earlier area already covers. Each area is audited once.
const normPath = (p) => String(p).trim().replace(/^\.\//, '').replace(/\/+$/, '')
const areas = []
for (const a of survey?.areas ?? []) {
  const name = String(a?.name ?? '').trim()
  const paths = [...new Set((Array.isArray(a?.paths) ? a.paths : []).map(normPath).filter(Boolean))]
  if (!name) continue
  const same = areas.find((b) => b.name.toLowerCase() === name.toLowerCase())
  if (same) {
    for (const p of paths) if (!same.paths.includes(p)) same.paths.push(p)
    continue
  }
  const covered = new Set(areas.flatMap((b) => b.paths))
  if (paths.length && paths.every((p) => covered.has(p))) continue
  if (areas.length < maxAreas) areas.push({ name, paths })
}
if (!areas.length) {
  throw new Error(
    budgetSpent()
      ? `The token budget of ${budget.total} was spent before the survey finished; run again with a larger --budget.`
      : 'The survey agent found no areas to audit; check that the run started in the repository.',
  )
}
log(`${areas.length} areas to audit`)

const findingKey = (f) => `${normPath(f?.file ?? '')}:${Number(f?.line) || 0}`
const reported = new Set()

// Each area is audited, then its findings face review() (the standard library's adversarial refutation) as soon
// as that area is done: no barrier between areas.
const audited = await pipeline(
  areas,
  (area) =>
    agentOrNull(
      `Audit the area "${area.name}" (${(area.paths ?? []).join(', ')}) for ${focus}. Read the code. Report only real problems, each with the file path, the line number, a severity, a title and why it is a problem. An empty list is a fine answer.`,
      { label: `audit ${area.name}`, phase: 'Audit', schema: FINDINGS },
    ),
  async (result, area) => {
    if (result === null) return { area: area.name, audited: false, confirmed: [], refuted: [], unreviewed: [] }
    // A finding another auditor already reported (same file and line) is reviewed and reported once.
    const fresh = (result.findings ?? []).filter((f) => {
      const key = findingKey(f)
      if (reported.has(key)) return false
      reported.add(key)
      return true
    })
    const findings = fresh.map((f) => ({ ...f, area: area.name }))
    // A reviewer that cannot run (budget spent) does not refute; keep such findings apart instead of confirming them.
    if (findings.length && budgetSpent()) return { area: area.name, audited: true, confirmed: [], refuted: [], unreviewed: findings }
    // The reviewer sees the finding without its area, so its prompt (and journal key) does not depend on which
    // area reported a shared finding first; the area is attached again below.
    const survivedBare = fresh.length
      ? await review(fresh, {
          phase: 'Review',
          label: `review ${area.name}`,
          context: `A code audit for ${focus}. Open the file named in the finding, read the code around its line, and check whether the problem is real at that exact place.`,
        })
      : []
    const survived = findings.filter((_, i) => survivedBare.includes(fresh[i]))
    return { area: area.name, audited: true, confirmed: survived, refuted: findings.filter((f) => !survived.includes(f)), unreviewed: [] }
  },
)

phase('Report')
const done = audited.filter(Boolean)
const confirmed = done.flatMap((a) => a.confirmed)
const refuted = done.flatMap((a) => a.refuted)
const unreviewed = done.flatMap((a) => a.unreviewed)
const unaudited = areas.map((a) => a.name).filter((name) => !done.some((a) => a.area === name && a.audited))
const order = ['critical', 'high', 'medium', 'low']
confirmed.sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity) || a.file.localeCompare(b.file) || a.line - b.line)
const lines = [`# Audit: ${focus}`, '', `${confirmed.length} confirmed findings (${refuted.length} refuted in review) in ${areas.length} areas.`, '']
for (const sev of order) {
  const list = confirmed.filter((f) => f.severity === sev)
  if (!list.length) continue
  lines.push(`## ${sev}`, '')
  for (const f of list) lines.push(`- \`${f.file}:${f.line}\` ${f.title} — ${f.detail}`)
  lines.push('')
}
if (refuted.length) {
  lines.push('## Refuted in review', '')
  for (const f of refuted) lines.push(`- \`${f.file}:${f.line}\` ${f.title}`)
  lines.push('')
}
if (unreviewed.length || unaudited.length) {
  lines.push('## Not checked', '')
  for (const f of unreviewed) lines.push(`- \`${f.file}:${f.line}\` ${f.title} (not reviewed${budgetSpent() ? ': token budget spent' : ''})`)
  for (const name of unaudited) lines.push(`- area "${name}" was not audited${budgetSpent() ? ' (token budget spent)' : ' (its auditor failed)'}`)
  lines.push('')
}
return { report: lines.join('\n'), confirmed, refuted, unreviewed, unaudited, areas: areas.map((a) => a.name) }
