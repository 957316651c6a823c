import { SignJWT } from 'jose';
import { TEST_SECRET } from './test-server.js';

const key = (secret: string) => new TextEncoder().encode(secret);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Every kind of bad token a server must refuse, made against the test secret. */
export async function badTokens(goodDashboardToken: string, agentToken: string): Promise<Array<[string, string]>> {
  const now = Math.floor(Date.now() / 1000);
  const [header = '', payload = '', signature = ''] = goodDashboardToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const tamperedPayload = b64({ ...claims, sub: 'mallory' });
  return [
    ['garbage', 'not-a-jwt'],
    ['expired', await new SignJWT({ role: 'dashboard' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u')
      .setIssuedAt(now - 100).setExpirationTime(now - 10).sign(key(TEST_SECRET))],
    ['tampered', `${header}.${tamperedPayload}.${signature}`],
    ['unsigned (alg none)', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims })}.`],
    ['wrong role', agentToken],
    ['wrong secret', await new SignJWT({ role: 'dashboard' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u')
      .setExpirationTime(now + 600).sign(key('another-secret-of-at-least-thirty-two-bytes'))],
    ['no expiry', await new SignJWT({ role: 'dashboard' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u')
      .sign(key(TEST_SECRET))],
    ['other algorithm (HS512)', await new SignJWT({ role: 'dashboard' }).setProtectedHeader({ alg: 'HS512' }).setSubject('u')
      .setExpirationTime(now + 600).sign(key(TEST_SECRET))],
  ];
}
