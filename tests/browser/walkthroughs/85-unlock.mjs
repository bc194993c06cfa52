// Story 14: "Mở khóa" — and its limit (DESIGN.md §5: a record the registry holds is
// replaced only through a revocation approved by the supervising authority).
//
// (a) A synced record of 7A1 (THCS, whose sealed records the school server sends within
//     seconds) offers no "Mở khóa" on its versions page, only "Đề nghị thu hồi"; the
//     unlock form's URL answers 409 with the reason. Continues from 80-batch-sign, or
//     signs and seals 7A1 itself when run alone.
// (b) A sealed record that is *not* synced can still be unlocked: 10A1 of Trường THPT Chu
//     Văn An, whose registry token the harness deliberately does not give the school
//     server (UNSYNCED_SCHOOL), so its sealed records stay in the outbox — no race with
//     the sender. The principal is refused without a reason, then with one the record
//     becomes version 2, a draft, beside the signed version 1; "Lịch sử thay đổi" shows
//     who unlocked it, when and why. No other walk-through uses 10A1.

import { USERS, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';
import {
  STATE,
  SYNC_MENU,
  ensureSealed,
  isSealed,
  openClassRecordsFromDashboard,
  openMenu,
  recordRows,
  versionRows,
  waitForSync,
} from '../workflow.mjs';

const REASON = 'Sửa điểm Toán HK II nhập nhầm (đơn của phụ huynh ngày 20/6)';
const NO_REASON = 'Phải nhập lý do mở khóa (tối đa 2000 kí tự). Học bạ chưa được mở khóa.';
const SYNCED_REFUSED =
  'Học bạ này đã gửi lên CSDL học bạ số; chỉ thay thế được qua "Đề nghị thu hồi" khi cơ quan quản lý phê duyệt.';

/** 10A1 of Trường THPT Chu Văn An (the harness's UNSYNCED_SCHOOL, 79000303). */
const UNSYNCED_CLASS = {
  name: '10A1',
  homeroom: 'gvcn1.0303',
  principal: 'hieutruong.0303',
  clerk: 'vanthu.0303',
};

export default [
  walk('principal: a synced record of 7A1 offers no "Mở khóa", only "Đề nghị thu hồi"; the unlock URL answers the refusal', async (t) => {
    const { page, shot } = t;
    await ensureSealed(t);
    await login(page, USERS.principal);
    // Polled: the background sender accepts 7A1's sealed records within seconds.
    await openMenu(page, SYNC_MENU);
    await waitForSync(page, '7A1', (c) => c.accepted > 0);
    await openClassRecordsFromDashboard(page);
    const target = (await recordRows(page)).find((r) => r.state === STATE.synced && r.version === '1');
    assert.ok(target, 'a synced record (version 1) in 7A1');
    const row = page.locator(`main table.list tbody tr[data-student="${target.code}"]`);
    await navigating(page, () => row.getByRole('link', { name: 'Các phiên bản' }).click());
    assert.equal(pathOf(page), `/students/${target.code}/records`);
    const versions = await versionRows(page);
    assert.equal(versions.length, 1, 'one version');
    assert.equal(versions[0].state, STATE.synced);
    assert.ok(!versions[0].links.includes('Mở khóa'), `no "Mở khóa" for a synced record: ${versions[0].links}`);
    const v1 = page.locator('main tr[data-version="1"]');
    assert.equal(await v1.getByRole('button', { name: 'Đề nghị thu hồi' }).count(), 1, '"Đề nghị thu hồi" is offered instead');
    await shot('record-versions-synced-no-unlock');

    // The form's URL, typed by hand: refused with the reason, nothing changes.
    const xml = await v1.getByRole('link', { name: 'XML', exact: true }).getAttribute('href');
    const unlockUrl = xml.replace(/\/xml$/, '/unlock');
    assert.match(unlockUrl, new RegExp(`^/students/${target.code}/records/[^/]+/unlock$`));
    const refused = await page.goto(unlockUrl);
    assert.equal(refused.status(), 409, 'the unlock form of a synced record');
    await expectText(page.locator('.error-message'), SYNCED_REFUSED);
    await shot('unlock-synced-refused');
    await page.goto(`/students/${target.code}/records`);
    const after = await versionRows(page);
    assert.deepEqual(
      after.map((v) => [v.version, v.state]),
      [['1', STATE.synced]],
      'still one synced version after the refusal',
    );
  }),

  walk(
    'principal "Mở khóa" a sealed, unsent record of 10A1 (THPT, not synced): refused without a reason, then version 2 draft and the reason in "Lịch sử thay đổi"',
    async (t) => {
      const { page, shot } = t;
      await ensureSealed(t, UNSYNCED_CLASS);
      await login(page, UNSYNCED_CLASS.principal);
      const classId = await openClassRecordsFromDashboard(page, UNSYNCED_CLASS.name);
      const rows = await recordRows(page);
      // The school's token is not configured: nothing of it is ever synced.
      assert.equal(rows.filter((r) => r.state === STATE.synced).length, 0, `nothing synced in ${UNSYNCED_CLASS.name}`);
      const target = rows.find((r) => r.state === STATE.sealed);
      assert.ok(target, `a sealed record in ${UNSYNCED_CLASS.name}`);
      const row = page.locator(`main table.list tbody tr[data-student="${target.code}"]`);
      await navigating(page, () => row.getByRole('link', { name: 'Các phiên bản' }).click());
      assert.equal(pathOf(page), `/students/${target.code}/records`);
      let versions = await versionRows(page);
      assert.equal(versions.length, 1, 'one version before unlocking');
      assert.equal(versions[0].state, STATE.sealed);
      assert.match(versions[0].signers, /Giáo viên chủ nhiệm|GVCN/i, `signers ${versions[0].signers}`);
      await navigating(page, () => page.locator('main tr[data-version="1"]').getByRole('link', { name: 'Mở khóa' }).click());
      await expectText(page.locator('h1'), 'Mở khóa học bạ');
      const reason = page.getByLabel('Lý do mở khóa (bắt buộc)');

      // Empty: the browser does not even send the form …
      const button = page.getByRole('button', { name: 'Mở khóa' });
      await button.click();
      assert.equal(await reason.evaluate((el) => el.validity.valueMissing), true, 'the empty reason is flagged by the browser');
      assert.match(pathOf(page), /\/unlock$/);
      // … and a reason of spaces only reaches the server, which refuses it in Vietnamese.
      await reason.fill('   ');
      const refused = await navigating(page, () => button.click());
      assert.equal(refused.status(), 400, 'unlocking with a blank reason');
      await expectText(page.locator('main .error-message'), NO_REASON);
      await shot('unlock-refused');
      await page.goto(`/students/${target.code}/records`);
      versions = await versionRows(page);
      assert.deepEqual(versions.map((v) => v.version), ['1'], 'still one version after the refusal');
      assert.equal(versions[0].state, STATE.sealed, 'still locked after the refusal');

      // With a reason: version 2, a draft, supersedes the signed version 1 (kept).
      await navigating(page, () => page.locator('main tr[data-version="1"]').getByRole('link', { name: 'Mở khóa' }).click());
      await reason.fill(REASON);
      const unlocked = await navigating(page, () => button.click());
      assert.equal(unlocked.status(), 200, '"Mở khóa" with a reason');
      await expectText(page.locator('main p.ok'), 'Đã mở khóa. Phiên bản 2 (bản nháp) thay thế phiên bản 1');
      await navigating(page, () => page.getByRole('link', { name: 'Các phiên bản học bạ' }).click());
      versions = await versionRows(page);
      const byVersion = Object.fromEntries(versions.map((v) => [v.version, v]));
      assert.deepEqual(Object.keys(byVersion).sort(), ['1', '2'], `versions ${JSON.stringify(versions)}`);
      assert.equal(byVersion['2'].state, STATE.draft, 'version 2 is a draft');
      assert.ok(isSealed(byVersion['1'].state), `the signed version 1 is kept as it was: ${byVersion['1'].state}`);
      assert.ok(versions.some((v) => v.unlockReason === REASON), `the reason is listed: ${JSON.stringify(versions.map((v) => v.unlockReason))}`);
      await shot('record-versions-unlocked');
      // Version 1 cannot be unlocked a second time: the page no longer offers it (and the
      // server would refuse with 409, which the HTTP tests check).
      assert.ok(!byVersion['1'].links.includes('Mở khóa'), 'the superseded version 1 offers no "Mở khóa"');

      // The class list shows the student's draft.
      await page.goto(`/classes/${classId}/records`);
      const now = (await recordRows(page)).find((r) => r.code === target.code);
      assert.deepEqual([now.state, now.version], [STATE.draft, '2'], `${target.name} in the class list`);

      // "Lịch sử thay đổi": from the summary's "Lịch sử" link of the student.
      await navigating(page, () => page.locator('p.tabs').getByRole('link', { name: 'Tổng hợp kết quả' }).click());
      await navigating(page, () =>
        page.locator(`table.summary tbody tr[data-student="${target.code}"]`).getByRole('link', { name: 'Lịch sử' }).click(),
      );
      assert.equal(pathOf(page), `/students/${target.code}/history`);
      await expectText(page.locator('h1'), `Lịch sử thay đổi — ${target.name}`);
      const entry = page.locator('table.history tbody tr', { hasText: 'Mở khóa' }).first();
      const cells = (await entry.locator('td').allInnerTexts()).map((s) => s.trim());
      // Thời gian, Người thực hiện, Lớp, Nội dung, Giá trị cũ, Giá trị mới, Lý do.
      assert.match(cells[0], /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/, `when: ${cells[0]}`);
      assert.match(cells[1], new RegExp(`\\(${UNSYNCED_CLASS.principal.replace('.', '\\.')}\\)$`), `who: ${cells[1]}`);
      assert.match(cells[3], /^Mở khóa/, `what: ${cells[3]}`);
      assert.equal(cells[6], REASON, 'why');
      // The earlier steps are there too: review and the three signatures.
      const what = (await page.locator('table.history tbody tr td:nth-child(4)').allInnerTexts()).join('\n');
      assert.match(what, /Xác nhận tổng hợp/, 'the review is in the history');
      assert.equal((what.match(/^Ký số/gm) || []).length, 3, `three signatures in the history:\n${what}`);
      await shot('history-unlock');
    },
    { timeout: 120_000 },
  ),
];
