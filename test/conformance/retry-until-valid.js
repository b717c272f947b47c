// expect: {"tries":3,"answer":"answer: third try works"}
// parity: P-AGENT-6 P-SCRIPT-1
export const meta = { name: 'retry-until-valid' }
// Retry a flaky agent a bounded number of times, a common hand-written pattern.
let answer = null
let tries = 0
const prompts = ['FAIL first try', 'FAIL second try', 'third try works']
while (answer === null && tries < prompts.length) {
  answer = await agent(prompts[tries])
  tries++
}
return { tries, answer }
