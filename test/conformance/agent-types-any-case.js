// expect: ["string","string","string","string"]
// parity: P-AGENT-3
// e2e
export const meta = { name: 'agent-types-any-case' }
const out = await parallel(['explore', 'EXPLORE', 'General', 'build'].map((t) => () => agent(`Say which agent you are (${t}).`, { agentType: t, label: t })))
return out.map((x) => typeof x)
