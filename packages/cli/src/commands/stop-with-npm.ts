/**
 * `npm start` runs `onsembl up` as its child (the start script `exec`s node, so no shell sits in
 * between and npm's forwarded SIGTERM reaches us). If npm itself is killed outright, nothing is
 * forwarded: notice that the parent is gone (we are re-parented) and stop, so the port and the data
 * dir are free for the next `npm start`. Outside npm a changed parent means nothing (nohup, a
 * closed terminal with the process kept on purpose), so the watch is only for npm's child.
 */
// Read when the CLI starts, not when the watch begins: npm may already be gone by then.
const parentAtStart = process.ppid;

export function stopWithNpm(stop: (reason: string) => void, checkEveryMs = 500): void {
  if (process.env.npm_lifecycle_event !== 'start') return;
  const check = () => {
    if (process.ppid !== parentAtStart) stop('npm exited');
  };
  check();
  setInterval(check, checkEveryMs).unref();
}
