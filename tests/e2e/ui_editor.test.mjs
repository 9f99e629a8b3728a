// The campaign editor (issue 9 item 7) in a real browser: Debian's Chromium driven by
// playwright-core against a real daemon serving the UI from its binary. A 4-activity campaign
// built on the canvas from nothing (palette, ports dragged, a port connected from the keyboard,
// a filter built in the filter builder), saved, a validation error shown on its node and field
// (a field that does not exist, typed in the JSON view), fixed, simulated, and the counts on the
// transitions read against the API. Undo/redo, keyboard use, a running campaign refused, and
// axe-core on the editor. STEPWISE_SCREENSHOT_DIR=docs/screenshots writes editor.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { AXE, openBrowser } from './lib/browser.mjs';
import { startDaemon, closeClean, addUser, until } from './lib/daemon.mjs';


let d;
let ctx;
let page;
let closeBrowser;
const consoleErrors = [];

before(async () => {
  d = await startDaemon({ profiles: 300, seed: 9 });
  addUser(d.db, 'mia', 'editor', 'mia-password-1');
  // 401 before signing in; 422 and 409 are the refusals these tests provoke on purpose.
  ({ ctx, page, close: closeBrowser } = await openBrowser({ height: 1000, allowed: [401, 409, 422], errors: consoleErrors }));
});

after(async () => {
  if (closeBrowser) await closeBrowser();
  await closeClean(d);
});

async function open(p) {
  await page.goto(`${d.url}${p}`);
  const form = page.getByRole('button', { name: 'Sign in' });
  const editor = page.getByRole('navigation', { name: 'Add an activity' });
  await Promise.race([form.waitFor(), editor.waitFor()]);
  if (await form.isVisible()) {
    await page.getByLabel('Username').fill('mia');
    await page.getByLabel('Password').fill('mia-password-1');
    await form.click();
  }
  await editor.waitFor();
}

const node = (id) => page.locator(`.react-flow__node[data-id="${id}"]`);
const side = () => page.getByRole('complementary');

/**
 * Selects an activity from the keyboard (focus its node, Enter) and waits for its form. The
 * keyboard test above checks that path itself; here, if the form has not come after 5 s (seen
 * once on a loaded 2-core CI machine, never reproduced), the state is printed and the node is
 * clicked instead, so a test about forms does not fail on that.
 */
async function selectNode(id) {
  const heading = side().getByRole('heading', { name: `Activity: ${id}` });
  await node(id).focus();
  await page.keyboard.press('Enter');
  try {
    await heading.waitFor({ timeout: 5000 });
  } catch {
    const state = await page.evaluate(() => ({
      active: document.activeElement?.outerHTML.slice(0, 120),
      heading: document.querySelector('#activity-title')?.textContent,
      selected: [...document.querySelectorAll('.react-flow__node.selected')].map((n) => n.dataset.id),
    }));
    console.error(`selectNode(${id}): no form after Enter: ${JSON.stringify(state)}; clicking the node`);
    await node(id).click();
    await heading.waitFor();
  }
}

/** Drags from an activity's output port to another activity's input, as a mouse would. */
async function drag(from, port, to) {
  const src = node(from).locator(`.react-flow__handle.source[data-handleid="${port}"]`);
  const dst = node(to).locator('.react-flow__handle.target');
  const a = await src.boundingBox();
  const b = await dst.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

const docJson = async () => JSON.parse(await page.getByLabel('Document (JSON)').inputValue());

test('a 4-activity campaign built on the canvas from nothing: saved, an error shown on its node and fixed, simulated with the counts on its transitions', async () => {
  await open('/campaigns/new');
  await page.getByRole('heading', { level: 1, name: 'New campaign' }).waitFor();
  for (const ty of ['build_audience', 'split', 'email', 'end']) await page.getByRole('button', { name: `Add ${ty}` }).click();
  await page.getByRole('button', { name: 'Auto layout' }).click();
  assert.equal(await page.locator('.react-flow__node').count(), 4);
  // Ports per type: split's segment and complement, email's out and failed, none on end.
  assert.deepEqual(await node('split').locator('.react-flow__handle.source').evaluateAll((hs) => hs.map((h) => h.dataset.handleid)), ['a', 'others']);
  assert.deepEqual(await node('email').locator('.react-flow__handle.source').evaluateAll((hs) => hs.map((h) => h.dataset.handleid)), ['out', 'failed']);
  assert.equal(await node('end').locator('.react-flow__handle.source').count(), 0);
  assert.equal(await node('build_audience').locator('.react-flow__handle.target').count(), 0, 'a source has no input');

  // Connect by dragging ports; one from the keyboard, through the activity's form.
  await drag('build_audience', 'out', 'split');
  await until(async () => (await page.locator('.react-flow__edge').count()) === 1, { what: 'the first edge' });
  await drag('split', 'a', 'email');
  await until(async () => (await page.locator('.react-flow__edge').count()) === 2, { what: 'the second edge' });
  await node('split').click();
  await side().getByRole('heading', { name: 'Activity: split' }).waitFor();
  await side().getByLabel('Connect others to').selectOption('end');
  await until(async () => (await page.locator('.react-flow__edge').count()) === 3, { what: 'the third edge' });

  // Undo and redo, by the keyboard (outside the text fields) and the buttons.
  await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  await until(async () => (await page.locator('.react-flow__edge').count()) === 2, { what: 'undo' });
  await page.keyboard.press('Control+Shift+Z');
  await until(async () => (await page.locator('.react-flow__edge').count()) === 3, { what: 'redo' });
  await page.getByRole('button', { name: 'Undo', exact: true }).click();
  await until(async () => (await page.locator('.react-flow__edge').count()) === 2, { what: 'undo button' });
  await page.getByRole('button', { name: 'Redo', exact: true }).click();
  await until(async () => (await page.locator('.react-flow__edge').count()) === 3, { what: 'redo button' });

  await node('email').click();
  await side().getByLabel('From').fill('shop@example.com');

  // The filter builder: country eq FR, on build_audience.
  await node('build_audience').click();
  await side().getByRole('button', { name: 'Add a filter' }).click();
  const cond = side().locator('.fb-cond').first();
  await cond.getByLabel('Field').selectOption('country');
  // Operators follow the field's type: no "contains" on a boolean.
  assert.ok((await cond.getByLabel('Operator').locator('option').allTextContents()).includes('starts_with'));
  await cond.getByLabel('Value').fill('FR');
  await cond.getByLabel('Value').press('Enter');
  await page.getByLabel('Name', { exact: true }).fill('Canvas-built campaign');

  // The JSON view follows the canvas; an edit there (a field that does not exist) comes back.
  await page.getByRole('button', { name: 'JSON view' }).click();
  let j = await docJson();
  assert.deepEqual(j.activities.map((a) => [a.id, a.type]), [['build_audience', 'build_audience'], ['split', 'split'], ['email', 'email'], ['end', 'end']]);
  assert.deepEqual(j.transitions, [{ from: 'build_audience', to: 'split' }, { from: 'split', port: 'a', to: 'email' }, { from: 'split', port: 'others', to: 'end' }]);
  assert.deepEqual(j.activities[0].filter, { all: [{ field: 'country', op: 'eq', value: 'FR' }] });
  assert.equal(j.name, 'Canvas-built campaign');
  j.activities[0].filter.all[0].field = 'cuntry';
  await page.getByLabel('Document (JSON)').fill('{ not json');
  await page.getByRole('alert').filter({ hasText: 'Not applied' }).waitFor();
  await page.getByLabel('Document (JSON)').fill(JSON.stringify(j, null, 2));
  await until(async () => (await cond.getByLabel('Field').inputValue()) === 'cuntry', { what: 'the form follows the JSON' });

  // Save: the API refuses the unknown field; the error shows on the node and the field.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText(/^Not saved: \d+ problems/).waitFor();
  await node('build_audience').locator('.enode-errors').filter({ hasText: /filter\.all\[0\]\.field: .*cuntry/ }).waitFor();
  assert.match(await node('build_audience').getAttribute('aria-label'), /build_audience \(build_audience\): 1 errors/);
  await node('build_audience').click();
  const fieldSelect = side().locator('.fb-cond').first().getByLabel('Field');
  assert.equal(await fieldSelect.getAttribute('aria-invalid'), 'true');
  const described = await fieldSelect.getAttribute('aria-describedby');
  assert.match(await page.locator(`[id="${described}"]`).innerText(), /cuntry/);
  assert.equal(new URL(page.url()).pathname, '/campaigns/new', 'nothing created');

  // Fix it in the form and save: created, the editor now edits campaign N.
  await fieldSelect.selectOption('country');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved.').waitFor().catch(async (e) => {
    throw new Error(`${e.message}; shown: ${await page.locator('.editor-status').innerText()} ${await page.locator('.field-error').allInnerTexts()} ${await page.locator('.enode-errors').allInnerTexts()}`);
  });
  await until(() => /^\/campaigns\/\d+\/edit$/.test(new URL(page.url()).pathname), { what: 'the campaign URL' });
  assert.equal(await page.locator('.enode-errors').count(), 0);
  const id = Number(new URL(page.url()).pathname.split('/')[2]);
  const saved = await d.ok('GET', `/campaigns/${id}`);
  assert.equal(saved.name, 'Canvas-built campaign');
  assert.equal(saved.status, 'draft');
  assert.deepEqual(saved.document.activities[0].filter, { all: [{ field: 'country', op: 'eq', value: 'FR' }] });
  assert.equal(saved.document.transitions.length, 3);

  // Simulate: the counts on the transitions are the simulation's, as the API reports them.
  await page.getByRole('button', { name: 'Simulate' }).click();
  await page.getByText(/^Simulation run #\d+: Completed/).waitFor();
  const sim = Number(/#(\d+)/.exec(await page.getByText(/^Simulation run #\d+/).innerText())[1]);
  const tasks = (await d.ok('GET', `/runs/${sim}/tasks`)).items;
  const count = (a, port) => tasks.find((t) => t.activity === a).counts[port];
  assert.ok(count('build_audience', 'out') > 0, 'French profiles exist');
  const want = [String(count('build_audience', 'out')), `a: ${count('split', 'a')}`, `others: ${count('split', 'others')}`].sort();
  await until(async () => {
    const l = (await page.locator('.react-flow__edge-text').allTextContents()).map((s) => s.replace(/[\s,\u202f]/g, '').replace(':', ': '));
    return JSON.stringify(l.sort()) === JSON.stringify(want);
  }, { what: `the counts ${want.join(' | ')} on the transitions` });

  // The personalization preview, from the fields the message uses.
  await node('email').click();
  const preview = side().getByRole('region', { name: 'Personalization preview' });
  await preview.getByLabel('Sample first_name').fill('Ana');
  assert.equal(await preview.locator('output').first().innerText(), 'Hello Ana');

  if (process.env.STEPWISE_SCREENSHOT_DIR) {
    await node('build_audience').click();
    await page.getByRole('button', { name: 'Auto layout' }).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.move(0, 0);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(process.env.STEPWISE_SCREENSHOT_DIR, 'editor.png') });
  }

  // axe-core on the editor, with a form open.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(', ')}`);
  });
  assert.deepEqual(violations, []);
});

test('the editor works from the keyboard: add from the palette, select a node, edit, delete it', async () => {
  await open('/campaigns/new');
  // Tab reaches the palette; Enter adds.
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Add build_audience');
  }
  assert.ok(reached, 'Tab reaches the palette');
  await page.keyboard.press('Enter');
  await node('build_audience').waitFor();
  await page.getByRole('button', { name: 'Add wait' }).focus();
  await page.keyboard.press('Enter');
  await node('wait').waitFor();
  // Nodes take the focus; Enter selects, the form follows; Delete removes it.
  await node('wait').focus();
  await page.keyboard.press('Enter');
  await side().getByRole('heading', { name: 'Activity: wait' }).waitFor();
  await side().getByLabel('Duration (e.g. 2d, PT12H)').fill('3d');
  assert.equal((await page.getByRole('button', { name: 'Undo', exact: true }).isEnabled()), true);
  await node('wait').focus();
  await page.keyboard.press('Delete');
  await until(async () => (await page.locator('.react-flow__node').count()) === 1, { what: 'the node deleted' });
  await page.keyboard.press('Control+z');
  await node('wait').waitFor();
});

test('a running campaign opens read-only: the editor says the server refuses changes while it runs', async () => {
  const c = await d.ok('POST', '/campaigns', {
    name: 'Running one',
    schedule: { rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', start: '2027-03-01T00:00:00' },
    timezone: 'Europe/Paris',
    activities: [{ id: 'src', type: 'build_audience' }],
    transitions: [],
  });
  await d.ok('POST', `/campaigns/${c.id}/start`, {});
  await d.waitCampaign(c.id, 'running');
  await open(`/campaigns/${c.id}/edit`);
  await page.getByText(/This campaign is running/).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled(), true);
  // Its properties are shown: the schedule and the time zone.
  assert.equal(await page.getByLabel('Time zone').inputValue(), 'Europe/Paris');
  assert.equal(await page.getByLabel('RRULE').inputValue(), 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0');
  // The campaign page links to the editor.
  await page.goto(`${d.url}/campaigns/${c.id}`);
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Edit Running one' }).waitFor();
});

test('global properties: variables, a refused time zone shown at its field, and French labels', async () => {
  await open('/campaigns/new');
  await page.getByRole('button', { name: 'Add build_audience' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Props check');
  await page.getByLabel('Parent campaign').fill('Spring 2027');
  await page.getByLabel('Tags (comma-separated)').fill('retention, fr');
  await page.getByLabel('Targeting dimension').selectOption('profiles');
  await page.getByRole('button', { name: 'Add variable' }).click();
  await page.getByLabel('Value of var1').fill('500');
  await page.getByLabel('Time zone').fill('Mars/Olympus_Mons');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText(/^Not saved: \d+ problems/).waitFor();
  const tz = page.getByLabel('Time zone');
  const described = await tz.getAttribute('aria-describedby');
  assert.ok(described, 'the time zone field points at its error');
  assert.match(await page.locator(`[id="${described}"]`).innerText(), /\S/);
  await tz.fill('Europe/Paris');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved.').waitFor();
  const id = Number(new URL(page.url()).pathname.split('/')[2]);
  const c = await d.ok('GET', `/campaigns/${id}`);
  assert.equal(c.campaign, 'Spring 2027');
  assert.deepEqual(c.tags, ['retention', 'fr']);
  assert.equal(c.targeting_dimension, 'profiles');
  assert.deepEqual(c.document.variables, { var1: 500 });
  assert.equal(c.document.timezone, 'Europe/Paris');
  // French: the editor's own labels follow the language.
  await page.getByRole('button', { name: /Language/ }).click();
  await page.getByRole('option', { name: 'Français' }).click();
  await page.getByRole('navigation', { name: 'Ajouter une activité' }).waitFor();
  await page.getByRole('button', { name: 'Enregistrer', exact: true }).waitFor();
  await page.getByLabel('Fuseau horaire').waitFor();
  await page.getByRole('button', { name: /Langue/ }).click();
  await page.getByRole('option', { name: 'English' }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).waitFor();
});

test('every activity type of the palette has its form and ports; an error under an activity shows at its field', async () => {
  await open('/campaigns/new');
  const types = ['build_audience', 'read_audience', 'combine', 'split', 'deduplicate', 'enrich', 'change_dimension', 'save_audience',
    'fork', 'join', 'wait', 'test', 'end', 'alert', 'email', 'sms', 'push', 'export'];
  assert.deepEqual(await page.getByRole('navigation', { name: 'Add an activity' }).getByRole('button').allTextContents(), types.map((t) => `+ ${t}`));
  for (const ty of types) await page.getByRole('button', { name: `Add ${ty}` }).click();
  await page.getByRole('button', { name: 'Auto layout' }).click();
  for (const ty of types) {
    await selectNode(ty);
    await side().getByLabel('Activity id').waitFor();
  }
  assert.deepEqual(await node('test').locator('.react-flow__handle.source').evaluateAll((hs) => hs.map((h) => h.dataset.handleid)), ['big', 'default']);
  assert.deepEqual(await node('deduplicate').locator('.react-flow__handle.source').evaluateAll((hs) => hs.map((h) => h.dataset.handleid)), ['out', 'duplicates']);
  // A new port appears with a new segment.
  await selectNode('split');
  await side().getByRole('button', { name: 'Add segment' }).click();
  assert.deepEqual(await node('split').locator('.react-flow__handle.source').evaluateAll((hs) => hs.map((h) => h.dataset.handleid)), ['a', 's2', 'others']);
  // Save: the email's missing sender is shown on its node and at its From field.
  await page.getByLabel('Name', { exact: true }).fill('All types');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText(/^Not saved: \d+ problems/).waitFor();
  await node('email').locator('.enode-errors').filter({ hasText: 'from: required' }).waitFor().catch(async (e) => {
    throw new Error(`${e.message}; on the node: ${await node('email').locator('.enode-errors').allInnerTexts()}`);
  });
  await selectNode('email');
  assert.equal(await side().getByLabel('From').getAttribute('aria-invalid'), 'true');
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(', ')}`);
  });
  assert.deepEqual(violations, []);
});

test('the filter builder: operators by field type, a link test under a not, groups; the JSON says so', async () => {
  await open('/campaigns/new');
  await page.getByRole('button', { name: 'Add build_audience' }).click();
  await side().getByRole('button', { name: 'Add a filter' }).click();
  const first = side().locator('.fb-cond').first();
  await first.getByLabel('Field').selectOption('email_opt_in');
  assert.deepEqual(await first.getByLabel('Operator').locator('option').allTextContents(), ['eq', 'ne', 'is_null', 'not_null']);
  await first.getByLabel('Value').selectOption('true');
  await first.getByLabel('Field').selectOption('created_at');
  assert.ok((await first.getByLabel('Operator').locator('option').allTextContents()).includes('within_last'));
  await first.getByLabel('Operator').selectOption('within_last');
  await first.getByLabel('Value').fill('365d');
  await first.getByLabel('Value').press('Enter');
  // A link test (orders), then wrapped in a not.
  await side().getByRole('button', { name: 'Add link test' }).click();
  const link = side().locator('.fb-link');
  await link.getByLabel('Link').selectOption('orders');
  const inner = link.locator('.fb-cond');
  assert.ok((await inner.getByLabel('Field').locator('option').allTextContents()).includes('amount'), 'the linked dimension\'s fields');
  await inner.getByLabel('Field').selectOption('amount');
  await inner.getByLabel('Operator').selectOption('gt');
  await inner.getByLabel('Value').fill('100');
  await inner.getByLabel('Value').press('Enter');
  await side().getByRole('group', { name: 'All of' }).first().getByLabel('Match').selectOption('any');
  await page.getByRole('button', { name: 'JSON view' }).click();
  const j = await docJson();
  assert.deepEqual(j.activities[0].filter, {
    any: [
      { field: 'created_at', op: 'within_last', value: '365d' },
      { link: 'orders', exists: { field: 'amount', op: 'gt', value: 100 } },
    ],
  });
  // Not: wraps the whole group, and unwraps.
  await side().getByRole('button', { name: 'Not', exact: true }).first().click();
  assert.ok('not' in (await docJson()).activities[0].filter);
  await side().getByRole('button', { name: 'Not ✕' }).click();
  assert.ok('any' in (await docJson()).activities[0].filter);
  // The canvas's Delete key removes a selected edge too.
  await page.getByRole('button', { name: 'Add end' }).click();
  await side().getByLabel('Activity id').waitFor();
  await node('build_audience').focus();
  await page.keyboard.press('Enter');
  await side().getByLabel('Connect out to').selectOption('end');
  assert.equal((await docJson()).transitions.length, 1);
  await page.locator('.react-flow__edge').focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Delete');
  await until(async () => (await docJson()).transitions.length === 0, { what: 'the edge deleted' });
});

test('no script error in the browser console', () => {
  assert.deepEqual(consoleErrors, []);
});
