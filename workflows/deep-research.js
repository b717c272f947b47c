export const meta = {
  name: 'deep-research',
  description: 'Research a question with sources: plan search angles, collect claims with quoted sources, cross-check every claim with independent verifiers, and report what survived with numbered citations.',
  whenToUse: 'A question that needs sources and cross-checking, not a quick answer.',
  phases: [
    { title: 'Plan', detail: '3-6 search angles for the question' },
    { title: 'Search', detail: 'one agent per angle: claims with source URL and quoted passage' },
    { title: 'Verify', detail: 'at least 3 independent verifiers vote on each claim' },
    { title: 'Report', detail: 'supported claims with citations; the rest and why' },
  ],
  args: 'the question (text), or { question, urls?: string[] (sources to start from), angles?: number (3-6, default 6), verifiers?: number (>= 3, default 3) }. Honours --budget: claims it cannot afford to verify are listed as not checked.',
}

// Claude Code's semantics: agent() throws once the token budget is spent (or the agent cap is reached). This
// workflow treats such an agent like a failed one (null) and reports what it could not afford.
const agentOrNull = (prompt, opts) => agent(prompt, opts).catch((e) => { log(String(e && e.message ? e.message : e)); return null })

const input = typeof args === 'string' ? { question: args } : args && typeof args === 'object' ? args : {}
const question = String(input.question ?? '').trim()
if (!question) throw new Error('deep-research needs a question: ocdw run --name deep-research --args "your question"')
const seedUrls = Array.isArray(input.urls) ? input.urls.map(String) : []
const maxAngles = Math.min(6, Math.max(3, Number(input.angles) || 6))
const verifiersPerClaim = Math.max(3, Number(input.verifiers) || 3)

const ANGLES = {
  type: 'object',
  properties: { angles: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 6 } },
  required: ['angles'],
}
const CLAIMS = {
  type: 'object',
  properties: {
    claims: {
      type: 'array',
      items: {
        type: 'object',
        properties: { claim: { type: 'string' }, url: { type: 'string' }, quote: { type: 'string' } },
        required: ['claim', 'url', 'quote'],
      },
    },
  },
  required: ['claims'],
}
const VERDICT = {
  type: 'object',
  properties: { vote: { type: 'string', enum: ['support', 'refute', 'unclear'] }, reason: { type: 'string' } },
  required: ['vote', 'reason'],
}

phase('Plan')
const plan = await agentOrNull(
  `Plan research for this question: ${question}\nGive ${maxAngles > 3 ? '3 to ' + maxAngles : '3'} distinct search angles (short phrases a search engine would take), covering different aspects and likely disagreements.`,
  { label: 'plan angles', schema: ANGLES },
)
const angles = (plan?.angles ?? []).filter((a) => typeof a === 'string' && a.trim()).slice(0, maxAngles)
if (angles.length === 0) angles.push(question)
log(`${angles.length} search angles`)

phase('Search')
const found = await parallel(
  angles.map((angle, i) => () =>
    agentOrNull(
      `Research angle ${i + 1} of the question "${question}": ${angle}\n` +
        `Find sources: use the websearch tool when you have it, otherwise webfetch pages you know or are given.` +
        (seedUrls.length ? `\nStart from these sources: ${seedUrls.join(' ')}` : '') +
        `\nReturn factual claims that answer the question. Each claim must carry the URL of the page it comes from and a passage quoted exactly from that page. Do not return a claim you could not source.`,
      { label: `search: ${angle}`.slice(0, 60), schema: CLAIMS },
    ),
  ),
)

// Merge duplicate claims (same wording up to case, punctuation and spacing); keep every source that made them.
const norm = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim()
const byText = new Map()
for (const r of found) {
  for (const c of r?.claims ?? []) {
    if (!c || !c.claim || !c.url) continue
    const k = norm(c.claim)
    const entry = byText.get(k) ?? { claim: c.claim, sources: [] }
    if (!entry.sources.some((s) => s.url === c.url)) entry.sources.push({ url: c.url, quote: c.quote ?? '' })
    byText.set(k, entry)
  }
}
let claims = [...byText.values()]
let skipped = []
log(`${claims.length} distinct claims from ${found.filter(Boolean).length} searches`)

// Honour the budget: verifying costs about verifiersPerClaim agents a claim; stop adding claims when it runs out.
if (budget.total !== null && budget.remaining() !== null) {
  const perAgent = Math.max(1, Math.ceil(budget.spent() / Math.max(1, angles.length + 1)))
  const affordable = Math.floor(budget.remaining() / (perAgent * verifiersPerClaim))
  if (affordable < claims.length) {
    log(`budget: verifying ${Math.max(0, affordable)} of ${claims.length} claims`)
    skipped = claims.slice(Math.max(0, affordable))
    claims = claims.slice(0, Math.max(0, affordable))
  }
}

phase('Verify')
const allSources = [...new Set(claims.flatMap((c) => c.sources.map((s) => s.url)))]
const verdicts = await pipeline(claims, (claim, _item, i) =>
  parallel(
    Array.from({ length: verifiersPerClaim }, (_, v) => () =>
      agentOrNull(
        `You are independent verifier ${v + 1} of ${verifiersPerClaim}. Check this claim; do not trust the finder.\n` +
          `Claim: ${claim.claim}\n` +
          claim.sources.map((s) => `Source: ${s.url}\nQuoted passage: "${s.quote}"`).join('\n') +
          `\nFetch the source (webfetch) and check that the passage is there and supports the claim. ` +
          (allSources.length > 1 ? `Also check it against the other sources: ${allSources.filter((u) => !claim.sources.some((s) => s.url === u)).join(' ')}. ` : '') +
          `Vote support, refute or unclear, and give the reason in one sentence.`,
        { label: `verify ${i + 1}.${v + 1}`, schema: VERDICT },
      ),
    ),
  ),
)

phase('Report')
const kept = []
const dropped = []
claims.forEach((claim, i) => {
  const votes = (verdicts[i] ?? []).filter(Boolean)
  const support = votes.filter((v) => v.vote === 'support').length
  const refute = votes.filter((v) => v.vote === 'refute').length
  const record = { ...claim, votes: { support, refute, unclear: votes.length - support - refute, of: verifiersPerClaim } }
  if (support * 2 > verifiersPerClaim) kept.push(record)
  else {
    const reasons = votes.filter((v) => v.vote !== 'support').map((v) => v.reason)
    dropped.push({ ...record, why: reasons[0] ?? 'no verifier could check it' })
  }
})

// Every source gets a number: those of surviving claims first, in order, then the rest.
const citation = new Map()
const cite = (url) => {
  if (!citation.has(url)) citation.set(url, citation.size + 1)
  return citation.get(url)
}
for (const c of [...kept, ...dropped]) for (const s of c.sources) cite(s.url)
const refs = (c) => c.sources.map((s) => `[${cite(s.url)}]`).join('')
// When nothing survived, the first thing the reader sees is that, and why: refuted, unverifiable, unaffordable or
// never found (and why the searches came back empty).
const plural = (n, one, many = one + 's') => `${n} ${n === 1 ? one : many}`
function noneSurvived() {
  if (claims.length) {
    const refuted = dropped.filter((c) => c.votes.refute > 0).length
    const unchecked = dropped.filter((c) => c.votes.support + c.votes.refute + c.votes.unclear === 0).length
    const reasons = []
    if (refuted) reasons.push(`${plural(refuted, 'claim was', 'claims were')} refuted by at least one verifier`)
    if (unchecked) reasons.push(`${plural(unchecked, 'claim', 'claims')} could not be checked because every verifier failed`)
    const rest = dropped.length - refuted - unchecked
    if (rest) reasons.push(`${plural(rest, 'claim', 'claims')} had no majority of ${verifiersPerClaim} verifiers in support (votes unclear)`)
    return `No claim survived cross-checking: ${plural(claims.length, 'claim was', 'claims were')} checked and ${reasons.join('; ')}. The reasons are listed below.`
  }
  if (skipped.length) return `No claim was cross-checked: the token budget was spent after the searches found ${plural(skipped.length, 'claim')}.`
  const failedSearches = found.filter((r) => r === null).length
  if (failedSearches === angles.length) return `No claim survived: all ${plural(angles.length, 'search agent')} failed, so nothing was found; see their errors in \`ocdw show\`.`
  const raw = found.reduce((n, r) => n + (r?.claims?.length ?? 0), 0)
  return raw
    ? `No claim survived: the searches returned ${plural(raw, 'claim')}, but none named the URL it came from, and unsourced claims are not reported.`
    : `No claim survived: ${failedSearches ? `${failedSearches} of ${angles.length} searches failed and the others` : `the ${plural(angles.length, 'search', 'searches')}`} found no sourced claims that answer the question.`
}
const verdict = kept.length ? `${plural(kept.length, 'claim')} of ${claims.length} survived cross-checking.` : noneSurvived()
if (!kept.length) log(verdict)
const lines = [`# ${question}`, '']
if (kept.length === 0) {
  lines.push(`**${verdict}**`, '')
}
else {
  lines.push('## Findings', '')
  for (const c of kept) {
    lines.push(`- ${c.claim} ${refs(c)} (${c.votes.support}/${c.votes.of} verifiers support)`)
    for (const s of c.sources) if (s.quote) lines.push(`  > "${s.quote}" [${cite(s.url)}]`)
  }
  lines.push('')
}
if (dropped.length) {
  lines.push('## Did not survive cross-checking', '')
  for (const c of dropped) lines.push(`- ${c.claim} ${refs(c)}: ${c.votes.support} support, ${c.votes.refute} refute, ${c.votes.unclear} unclear — ${c.why}`)
  lines.push('')
}
if (skipped.length) {
  lines.push('## Not checked', '')
  for (const c of skipped) lines.push(`- ${c.claim} (${c.sources.map((s) => s.url).join(', ')}): not verified, the token budget was spent`)
  lines.push('')
}
if (citation.size) {
  lines.push('## Sources', '')
  for (const [url, n] of citation) lines.push(`${n}. ${url}`)
}

return {
  question,
  verdict,
  report: lines.join('\n'),
  claims: kept,
  dropped,
  skipped,
  sources: [...citation].map(([url, n]) => ({ n, url })),
}
