/** Request ids: short, unique per client, and inside the protocol's Id pattern. */
export function createRequestIds(random: () => number): () => string {
  const prefix = Math.floor(random() * 36 ** 6).toString(36).padStart(6, '0');
  let counter = 0;
  return () => `r-${prefix}-${(++counter).toString(36)}`;
}
