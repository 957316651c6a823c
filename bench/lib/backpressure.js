// @ts-check
// Producer pacing for the baseline relays. A minimal relay that forwards without looking would
// buffer without bound when consumers are slower than the producer; with this it stops reading
// the producer's socket instead (TCP then slows the producer), which is what makes its throughput
// "the practical limit" rather than a measure of how fast memory fills.

/** Bytes queued for a consumer above which the producer is paused, and below which it resumes. */
export const HIGH_BYTES = 1024 * 1024;
export const LOW_BYTES = 256 * 1024;

/**
 * `buffered(consumer)` says how many bytes wait for one consumer; `producers()` gives the net
 * sockets to pause. Call `afterForward()` after each message is handed to every consumer.
 * @template C
 * @param {{ consumers: () => Iterable<C>, buffered: (consumer: C) => number, producers: () => Iterable<import('node:net').Socket> }} sources
 */
export function createPacer({ consumers, buffered, producers }) {
  let paused = false;
  const maxBuffered = () => {
    let max = 0;
    for (const c of consumers()) max = Math.max(max, buffered(c));
    return max;
  };
  const check = () => {
    if (maxBuffered() > LOW_BYTES) {
      setTimeout(check, 1);
      return;
    }
    paused = false;
    for (const socket of producers()) socket.resume();
  };
  return {
    afterForward() {
      if (paused || maxBuffered() <= HIGH_BYTES) return;
      paused = true;
      for (const socket of producers()) socket.pause();
      setTimeout(check, 1);
    },
  };
}
