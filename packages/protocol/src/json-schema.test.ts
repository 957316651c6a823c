import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { protocolJsonSchema } from './json-schema.js';

describe('published JSON Schema', () => {
  it('is the committed file (regenerate with `npm run schema -w @onsembl/protocol`)', () => {
    const committed = JSON.parse(readFileSync(new URL('../schema/onsembl-protocol.schema.json', import.meta.url), 'utf8'));
    expect(protocolJsonSchema()).toEqual(committed);
  });

  it('has a payload schema for every message type of every direction', () => {
    const defs = protocolJsonSchema().$defs as Record<string, { type?: string }>;
    for (const key of ['dashboard-to-server/command:request', 'server-to-dashboard/terminal:output', 'agent-to-server/agent:connect', 'server-to-agent/command:execute']) {
      expect(defs[key]?.type, key).toBe('object');
    }
  });
});
