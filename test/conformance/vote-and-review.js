// expect: {"decided":true,"votes":3,"kept":true}
// parity: P-BEYOND-1 P-BEYOND-2
export const meta = { name: 'vote-and-review' }
const v = await vote('Is the cache thread-safe?', { voters: 3 })
const kept = await review(['finding one', 'finding two'])
return { decided: ['majority', 'critic', 'plurality'].includes(v.decidedBy), votes: v.votes.length, kept: kept.length <= 2 }
