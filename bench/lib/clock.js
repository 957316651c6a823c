// @ts-check
// One wall clock with sub-millisecond resolution that every process on this machine agrees on
// (Date.now() has only 1 ms steps, too coarse for a 50 ms batch window).
import { performance } from 'node:perf_hooks';

export const now = () => performance.timeOrigin + performance.now();
/** @param {number} ms @returns {Promise<void>} */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
