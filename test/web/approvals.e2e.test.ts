import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startClaudeAgent } from './fixtures/ai-agent.js';
import { hasChromium, PHONE, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';
import { waitFor } from './fixtures/wait.js';

/**
 * Approvals and the AI run view in real Chromium, through a real server and a real `onsembl agent
 * --type claude` process whose stand-in CLI speaks Claude Code's stream-json, asks with a real
 * control_request and says in its answer what it was told.
 */
const LONG = 30_000;

const card = (page: Page, state?: 'waiting' | 'allowed' | 'denied'): Locator =>
  page.locator(`[data-testid="approval-card"]${state ? `[data-state="${state}"]` : ''}`);

async function openOn(page: Page, url: string, token: string): Promise<DashboardPage> {
  const dashboard = new DashboardPage(page);
  await dashboard.focus();
  await dashboard.open(url, token);
  await dashboard.waitForAgent('claude-1');
  return dashboard;
}

/**
 * Waits until the terminal shows `text` both on its screen (xterm's rendered rows) and in its
 * accessibility tree (what a screen reader reads), each with the line wraps taken out. The terminal
 * beside the run view is narrow (44 columns in these tests), so the run's sentences span rows, and
 * the tree has one line per row: unwrapped, it follows the screen, at most a second behind (xterm
 * refreshes the tree at most once a second). Read row by row, as DashboardPage reads it, such a
 * sentence is never found: the likely cause of an earlier note that the tree stopped following the
 * screen once the approval card resized the terminal.
 */
function screenShows(page: Page, text: string): Promise<string> {
  const terminal = page.getByTestId('terminal');
  return waitFor(`the terminal to show ${text}`, async () => {
    const rows = await terminal.locator('.xterm-rows').innerText();
    const tree = await terminal.locator('.xterm-accessibility-tree').innerText();
    const shows = (content: string) => content.replace(/\n/g, '').includes(text);
    return shows(rows) && shows(tree) ? rows : undefined;
  }, LONG);
}

/** The run view's tool entry of `tool`, once it has the status given. */
async function toolEntry(page: Page, tool: string, status: string): Promise<Locator> {
  const entry = page.locator(`[data-testid="run-view"] [data-testid="run-entry"][data-kind="tool_call"][data-tool="${tool}"][data-status="${status}"]`);
  await entry.first().waitFor({ timeout: LONG });
  return entry.first();
}

describe.skipIf(!hasChromium)('approvals from any dashboard, and the AI run view', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('approved on one page: decided on a second page, by whom, and in the agent\'s run, live and in history', async () => {
    await using stack = await startStack([], { approvalTimeoutMs: 120_000 });
    await using _agent = await startClaudeAgent(stack.server, 'claude-1');
    const bobToken = await stack.server.token('dashboard', 'bob');
    await using pageA = await browser().page();
    await using pageB = await browser().page();
    const alice = await openOn(pageA, stack.server.httpUrl, stack.token);
    const bob = await openOn(pageB, stack.server.httpUrl, bobToken);

    await alice.focus();
    await alice.run('create a file @ask');
    for (const page of [pageA, pageB]) {
      const waiting = card(page, 'waiting');
      await waiting.waitFor({ timeout: LONG });
      expect(await waiting.getByTestId('approval-agent').innerText()).toBe('claude-1');
      expect(await waiting.getByTestId('approval-tool').innerText()).toBe('Bash');
      expect(await waiting.getByTestId('approval-gist').innerText()).toBe('touch approved.txt');
      expect(await waiting.getByTestId('approval-command').innerText()).toBe('create a file @ask');
      expect(await waiting.getByTestId('approval-countdown').innerText()).toMatch(/^\d:\d\d left$/);
    }
    // The tab title says a question waits.
    await waitFor('the title to count the approval', async () => (await pageB.title()).includes('1 approval waiting'));
    // The full input, expanded.
    await bob.focus();
    await card(pageB, 'waiting').locator('summary', { hasText: 'Input' }).click();
    expect(JSON.parse(await card(pageB, 'waiting').getByTestId('approval-input').innerText())).toEqual({ command: 'touch approved.txt', description: 'Run command' });
    // The live run view beside the terminal shows the tool call waiting for its approval.
    await toolEntry(pageA, 'Bash', 'waiting');
    await alice.focus();
    await alice.screenshot('approval');

    await card(pageA, 'waiting').getByTestId('approval-allow').click();
    for (const page of [pageA, pageB]) {
      await page.bringToFront();
      const decided = card(page, 'allowed');
      await decided.waitFor({ timeout: LONG });
      expect(await decided.getByTestId('approval-decision').innerText()).toBe('Allowed by e2e-user');
    }
    await waitFor('the title to drop the approval', async () => !(await pageB.title()).includes('approval waiting'));

    // The agent's run: the CLI was told yes, ran the tool with the input as asked, and said so.
    await alice.focus();
    await alice.waitForHistory('create a file @ask', 'completed');
    const tool = await toolEntry(pageA, 'Bash', 'ok');
    expect(await tool.getByTestId('run-approval').innerText()).toContain('Bash allowed by e2e-user');
    await tool.locator('summary', { hasText: 'Output' }).click();
    expect(await tool.getByTestId('run-tool-output').innerText()).toBe('ran: touch approved.txt');
    await screenShows(pageA, '✔ allowed by e2e-user');
    await screenShows(pageA, 'The tool was allowed: ran touch approved.txt');
    const runView = pageA.getByTestId('run-view');
    await waitFor('the run\'s totals', async () => /18,207 tokens .*\$0\.0026/.test(await runView.getByTestId('run-usage-command').innerText()));
    await waitFor('the agent\'s totals', async () => /^1 run · 18,207 tokens/.test(await runView.getByTestId('run-usage-agent').innerText()));
    expect(await runView.getByTestId('run-session').innerText()).toMatch(/^new [0-9a-f]{8}/);
    expect(await runView.locator('[data-kind="message"]').last().innerText()).toBe('The tool was allowed: ran touch approved.txt');
    expect(await runView.locator('[data-kind="result"]').innerText()).toMatch(/✔ completed/);
    await alice.screenshot('ai-run-view');

    // The second page, in History: the same run, from the stored trace.
    await bob.focus();
    await bob.openHistory();
    await bob.openCommand('create a file @ask');
    const stored = pageB.locator('[data-testid="command-detail"] [data-testid="run-view"]');
    await stored.locator('[data-testid="run-approval"][data-decision="allow"]').waitFor({ timeout: LONG });
    expect(await stored.getByTestId('run-approval').innerText()).toContain('allowed by e2e-user');
    expect(await stored.getByTestId('run-usage-command').innerText()).toMatch(/18,207 tokens/);
    expect(pageA.uncaughtErrors).toEqual([]);
    expect(pageB.uncaughtErrors).toEqual([]);
  });

  it('a denied tool: the reason reaches the CLI, which carries on without it', async () => {
    await using stack = await startStack([]);
    await using _agent = await startClaudeAgent(stack.server, 'claude-1');
    await using page = await browser().page();
    const dashboard = await openOn(page, stack.server.httpUrl, stack.token);
    await dashboard.run('create a file @ask');
    const waiting = card(page, 'waiting');
    await waiting.waitFor({ timeout: LONG });
    await waiting.getByTestId('approval-reason').fill('write it under /tmp instead');
    await waiting.getByTestId('approval-deny').click();
    const denied = card(page, 'denied');
    await denied.waitFor({ timeout: LONG });
    expect(await denied.getByTestId('approval-decision').innerText()).toBe('Denied by e2e-user: write it under /tmp instead');
    const tool = await toolEntry(page, 'Bash', 'failed');
    expect(await tool.getByTestId('run-approval').innerText()).toContain('denied by e2e-user: write it under /tmp instead');
    await screenShows(page, 'The tool was denied: Denied by e2e-user in Onsembl: write it under /tmp instead');
    await dashboard.waitForHistory('create a file @ask', 'completed');
    // Dismissed, the card is gone from this page.
    await denied.getByTestId('approval-dismiss').click();
    await waitFor('the card to go', async () => (await card(page).count()) === 0);
    expect(page.uncaughtErrors).toEqual([]);
  });

  it('no answer by the deadline: every page shows it denied by the deadline, and so does the run', async () => {
    await using stack = await startStack([], { approvalTimeoutMs: 2_000 });
    await using _agent = await startClaudeAgent(stack.server, 'claude-1');
    await using page = await browser().page();
    const dashboard = await openOn(page, stack.server.httpUrl, stack.token);
    await dashboard.run('create a file @ask');
    await card(page, 'waiting').waitFor({ timeout: LONG });
    const denied = card(page, 'denied');
    await denied.waitFor({ timeout: LONG });
    expect(await denied.getByTestId('approval-decision').innerText()).toBe('Denied: nobody answered before the deadline');
    const tool = await toolEntry(page, 'Bash', 'failed');
    expect(await tool.getByTestId('run-approval').innerText()).toContain('denied: nobody answered before the deadline');
    await screenShows(page, '✘ denied: nobody answered before the deadline');
    expect(page.uncaughtErrors).toEqual([]);
  });

  it('on a phone (390×844): the card fits the screen, its buttons are big enough to tap, and Allow works', async () => {
    await using stack = await startStack([]);
    await using _agent = await startClaudeAgent(stack.server, 'claude-1');
    await using page = await browser().page(PHONE);
    const dashboard = await openOn(page, stack.server.httpUrl, stack.token);
    await dashboard.run('create a file @ask');
    const waiting = card(page, 'waiting');
    await waiting.waitFor({ timeout: LONG });
    const box = await waiting.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    for (const id of ['approval-allow', 'approval-deny']) {
      const button = await waiting.getByTestId(id).boundingBox();
      expect(button!.height, id).toBeGreaterThanOrEqual(40);
      expect(button!.width, id).toBeGreaterThanOrEqual(100);
    }
    await dashboard.screenshot('approval-phone');
    await waiting.getByTestId('approval-allow').tap().catch(() => waiting.getByTestId('approval-allow').click());
    await card(page, 'allowed').waitFor({ timeout: LONG });
    await dashboard.waitForHistory('create a file @ask', 'completed');
    expect(page.uncaughtErrors).toEqual([]);
  });

  it('the run view names the session a prompt continues, and "New session" starts another', async () => {
    await using stack = await startStack([]);
    await using _agent = await startClaudeAgent(stack.server, 'claude-1');
    await using page = await browser().page();
    const dashboard = await openOn(page, stack.server.httpUrl, stack.token);
    const runView = page.getByTestId('run-view');
    const sessionOf = async () => (await runView.getByTestId('run-session').innerText()).match(/(new|continues) ([0-9a-f]{8})/)?.slice(1) ?? [];

    await dashboard.run('list the files');
    await dashboard.waitForHistory('list the files', 'completed');
    const [firstKind, first] = await waitFor('the first session', async () => { const s = await sessionOf(); return s.length === 2 ? s : undefined; });
    expect(firstKind).toBe('new');
    expect(await page.getByTestId('command-session').innerText()).toContain(`continues ${first}`);

    await dashboard.run('and again');
    await dashboard.waitForHistory('and again', 'completed');
    await waitFor('the run view to follow it', async () => (await runView.locator('.run-title').innerText()) === 'and again');
    expect(await waitFor('a resumed session', async () => { const s = await sessionOf(); return s[0] === 'continues' ? s : undefined; })).toEqual(['continues', first]);

    await page.getByTestId('command-new-session').check();
    expect(await page.getByTestId('command-session').innerText()).toContain('starts one');
    await dashboard.run('start over');
    await dashboard.waitForHistory('start over', 'completed');
    await waitFor('the run view to follow it', async () => (await runView.locator('.run-title').innerText()) === 'start over');
    const [kind, fresh] = await waitFor('a new session', async () => { const s = await sessionOf(); return s[0] === 'new' ? s : undefined; });
    expect(kind).toBe('new');
    expect(fresh).not.toBe(first);
    // The choice is for one prompt; the box is unticked again.
    expect(await page.getByTestId('command-new-session').isChecked()).toBe(false);
    await waitFor('the agent\'s totals over three runs', async () => /^3 runs · /.test(await runView.getByTestId('run-usage-agent').innerText()));
    expect(page.uncaughtErrors).toEqual([]);
  });
});
