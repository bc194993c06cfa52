// Story 18: the clerk's "Đồng bộ CSDL". The school server sends every sealed record of
// 7A1 to the national registry in the background (`hocba registry` started by the
// harness); the page — reloaded until the sender is done, at most 30 s — shows them
// accepted with the registry's receipt, nothing waiting, retrying or rejected, and the
// two deadlines (25/06 and 10/08). Each sealed record's versions page says "Đã gửi, có
// biên nhận" and its history has the sync.
//
// Continues from 80-batch-sign (85-unlock only checks that a synced record of 7A1 cannot
// be unlocked; a student reopened before the sender ran would be counted as superseded),
// or seals 7A1 itself when run alone.

import { USERS, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';
import {
  STATE,
  SYNC_MENU,
  ensureSealed,
  openClassRecordsFromDashboard,
  openMenu,
  recordRows,
  waitForSync,
} from '../workflow.mjs';

export default [
  walk('clerk "Đồng bộ CSDL": the sealed records of 7A1 are accepted by the registry with a receipt; both deadlines shown', async (t) => {
    const { page, shot } = t;
    await ensureSealed(t);
    await login(page, USERS.clerk);
    await openMenu(page, SYNC_MENU);
    assert.equal(pathOf(page), '/sync');
    await expectText(page.locator('h1'), SYNC_MENU);

    // Polled: the background sender claims due records every few seconds.
    const counts = await waitForSync(page, '7A1', (c) => c.accepted > 0 && c.waiting + c.sending + c.retrying === 0);
    assert.equal(counts.rejected, 0, `nothing rejected: ${JSON.stringify(counts)}`);
    // The deadlines of the year 2025-2026, each with its progress.
    const deadlines = page.locator('main ul.deadlines li');
    assert.equal(await deadlines.count(), 2, 'two deadlines');
    await expectText(deadlines.nth(0), /^25\/06\/2026 — .*đã được chấp nhận \d+ \/ \d+ học bạ/);
    await expectText(deadlines.nth(1), /^10\/08\/2026 — .*đã được chấp nhận \d+ \/ \d+ học bạ/);
    await expectText(page.locator('main'), /Chưa được CSDL chấp nhận: \d+ học bạ/);
    await shot('sync-accepted');

    // The class list agrees: every record that got its three signatures is now "Đã đồng
    // bộ" (none left sealed and unsent). The accepted count may also hold the version 1
    // of a student reopened since (its row now shows the draft).
    await openClassRecordsFromDashboard(page);
    const rows = await recordRows(page);
    assert.equal(rows.filter((r) => r.state === STATE.sealed).length, 0, 'no sealed record left unsent');
    const synced = rows.filter((r) => r.state === STATE.synced);
    const drafts = rows.filter((r) => r.state === STATE.draft).length;
    assert.ok(synced.length >= 1, 'synced records in the class list');
    assert.ok(
      counts.accepted - synced.length >= 0 && counts.accepted - synced.length <= drafts,
      `"${STATE.synced}" rows (${synced.length}) match the accepted count ${counts.accepted} (drafts: ${drafts})`,
    );

    // One record's versions page: sent, with the receipt; the history logs the sync.
    const target = synced[synced.length - 1];
    await navigating(page, () =>
      page.locator(`main table.list tbody tr[data-student="${target.code}"]`).getByRole('link', { name: 'Các phiên bản' }).click(),
    );
    await expectText(page.locator('main tr[data-version="1"] [data-col="sync"]'), 'Đã gửi, có biên nhận');
    await shot('record-versions-synced');
    const principal = await t.newPage();
    await login(principal, USERS.principal);
    await principal.goto(`/students/${target.code}/history`);
    await expectText(principal.locator('table.history tbody'), 'Đồng bộ CSDL (có biên nhận)');
  }),
];
