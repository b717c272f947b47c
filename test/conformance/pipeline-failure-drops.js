// expect: {"out":["answer: stage one good",null],"reachedStage2":1}
// parity: P-PIPE-3
export const meta = { name: 'pipeline-failure-drops' }
let reachedStage2 = 0
const out = await pipeline(
  ['good', 'bad'],
  (item) => {
    if (item === 'bad') throw new Error('stage one refused ' + item)
    return agent(`stage one ${item}`)
  },
  (prev) => { reachedStage2++; return prev },
)
return { out, reachedStage2 }
