import { describe, expect, it } from 'vitest';
import { DESKTOP, hasChromium, PHONE, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';

const storedToken = (dashboard: DashboardPage) => dashboard.page.evaluate(() => sessionStorage.getItem('onsembl.dashboardToken'));

describe.skipIf(!hasChromium)('signing in', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('explains AUTH_FAILED for a bad URL token and signs in with a pasted one', async () => {
    await using stack = await startStack([]);
    await using page = await browser().page(PHONE);
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, 'not-a-valid-token');
    const error = page.getByTestId('signin-error');
    await error.waitFor();
    await expect(error.innerText()).resolves.toContain('AUTH_FAILED');
    expect(page.url()).not.toContain('token=');
    await expect(storedToken(dashboard)).resolves.toBeNull();
    await dashboard.screenshot('signin-error-phone');

    await page.getByTestId('signin-token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await dashboard.waitForConnection('CONNECTED');
    await page.getByTestId('no-agents').waitFor();
    await expect(storedToken(dashboard)).resolves.toBe(stack.token);
    expect(page.uncaughtErrors).toEqual([]);
  });

  it('asks for a token when there is none, and forgets it on sign-out', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page(DESKTOP);
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl);
    await page.getByTestId('signin-form').waitFor();
    await dashboard.screenshot('signin-desktop');
    await page.getByLabel('Dashboard token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await dashboard.waitForAgent('alpha');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('signin-form').waitFor();
    await expect(storedToken(dashboard)).resolves.toBeNull();
  });

  it('asks for a new token when the session token expires', async () => {
    await using stack = await startStack([]);
    // Long enough to connect even on a loaded machine, short enough to expire during the test.
    const shortLived = await stack.server.token('dashboard', 'e2e-user', 8);
    await using page = await browser().page(DESKTOP);
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, shortLived);
    await dashboard.waitForConnection('CONNECTED');
    // The server ends the session at expiry (close 4003): the client stops and asks for a token.
    await page.getByTestId('signin-error').waitFor();
    await expect(dashboard.connectionState()).resolves.toBe('DISCONNECTED');
    await page.getByTestId('signin-token').fill(stack.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await dashboard.waitForConnection('CONNECTED');
  });

  it('renews a token that is about to expire without reconnecting', async () => {
    await using stack = await startStack([]);
    const expiringSoon = await stack.server.token('dashboard', 'e2e-user', 300);
    await using page = await browser().page(DESKTOP);
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, expiringSoon);
    await dashboard.waitForConnection('CONNECTED');
    await expect(page.getByTestId('connection-detail').innerText()).resolves.toMatch(/^token expires in [45] min$/);
    await page.getByTestId('renew-token').click();
    await page.getByTestId('signin-token').fill(stack.token);
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.getByTestId('renew-token').waitFor({ state: 'detached' });
    await expect(storedToken(dashboard)).resolves.toBe(stack.token);
    await expect(dashboard.connectionState()).resolves.toBe('CONNECTED');
  });
});
