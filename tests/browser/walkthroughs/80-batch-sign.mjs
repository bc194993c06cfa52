// Story 13: the principal batch-signs 7A1 ("Ký hàng loạt") after a summary screen (count,
// class, year, who is not signed and why), excluding one student; the clerk then applies
// the school's own seal ("Đóng dấu số") configured on the server (--school-seal-p12).
//
// Continues from 70-homeroom-sign (or signs as the homeroom teacher itself when run
// alone). Leaves 7A1 sealed except the excluded student, who stays "GVCN đã ký"; the
// school server then sends the sealed records to the registry (97-sync).

import path from 'node:path';

import { USERS, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';
import {
  SIGN_CLASS,
  STATE,
  WORKFLOW_MENU,
  dashboardCounts,
  dashboardRow,
  ensureHomeroomSigned,
  fillKey,
  isSealed,
  openClassRecordsFromDashboard,
  openMenu,
  recordRows,
} from '../workflow.mjs';

export default [
  walk('principal "Ký hàng loạt" of 7A1 with one student excluded, then the clerk "Đóng dấu số"', async (t) => {
    const { page, pki, shot } = t;
    await ensureHomeroomSigned(t);

    await login(page, USERS.principal);
    await openMenu(page, WORKFLOW_MENU.signing);
    assert.equal(pathOf(page), '/signing');
    await expectText(page.locator('main'), 'Thứ tự ký: giáo viên chủ nhiệm → hiệu trưởng (giám đốc trung tâm) → dấu đơn vị.');
    const start = await dashboardCounts(page);
    assert.ok(start.homeroomSigned >= 2, `7A1 has records signed by the homeroom teacher (${JSON.stringify(start)})`);
    assert.equal(start.principalSigned, 0, 'nothing signed by the principal yet');
    assert.ok(start.blocked >= 1, 'the student without a personal ID counts as "Không ký được"');
    await shot('signing-dashboard');

    // The summary screen: class, year, how many, one checkbox per student, who is not
    // signed and why.
    await navigating(page, () => dashboardRow(page).getByRole('link', { name: 'Ký hàng loạt' }).click());
    assert.equal(pathOf(page), '/signing/batch');
    await expectText(page.locator('h1'), 'Ký hàng loạt');
    const intro = await expectText(page.locator('main p', { hasText: 'học bạ chờ hiệu trưởng ký' }), `Lớp: ${SIGN_CLASS.name} — năm học`);
    assert.match(intro, new RegExp(`${start.homeroomSigned} học bạ chờ hiệu trưởng ký`), intro);
    const ready = page.locator('main form table tbody tr[data-student]');
    assert.equal(await ready.count(), start.homeroomSigned, 'one row per record waiting for the principal');
    for (const state of await ready.locator('[data-col="state"]').allInnerTexts()) assert.equal(state.trim(), STATE.homeroomSigned);
    const notSigned = page.locator('h2:has-text("Không ký trong lần này") + table tbody tr');
    assert.ok((await notSigned.count()) >= 1, 'the "Không ký trong lần này" list');
    await expectText(notSigned.locator('[data-col="reason"]'), 'Chưa có mã định danh');

    // Exclude the last student, sign with ht.p12.
    const excludedRow = ready.last();
    const excluded = await excludedRow.getAttribute('data-student');
    const excludedName = (await excludedRow.locator('td.name').innerText()).trim();
    await excludedRow.getByLabel('Loại khỏi lần ký này').check();
    await fillKey(page, path.join(pki, 'ht.p12'));
    await shot('batch-summary');
    const res = await navigating(page, () => page.getByRole('button', { name: 'Ký hàng loạt' }).click());
    assert.equal(res.status(), 200, '"Ký hàng loạt"');
    const signedCount = start.homeroomSigned - 1;
    await expectText(page.locator('main p.ok'), `Đã ký ${signedCount} học bạ.`);
    assert.equal(await page.locator('main .error-message').count(), 0, 'no record failed');
    // The page now offers only the excluded student; the signed ones moved to the list
    // below with their new state.
    await expectText(page.locator('main p', { hasText: 'học bạ chờ hiệu trưởng ký' }), /\b1 học bạ chờ hiệu trưởng ký/);
    assert.deepEqual(await ready.evaluateAll((trs) => trs.map((tr) => tr.dataset.student)), [excluded], 'only the excluded student still waits');
    const principalSigned = notSigned.filter({ hasText: STATE.principalSigned });
    assert.equal(await principalSigned.count(), signedCount, `rows "${STATE.principalSigned}"`);
    await shot('batch-signed');

    await openMenu(page, WORKFLOW_MENU.signing);
    const after = await dashboardCounts(page);
    assert.deepEqual([after.homeroomSigned, after.principalSigned, after.sealed], [1, signedCount, 0], `dashboard after signing ${JSON.stringify(after)}`);

    // The clerk applies the seal: every record the principal signed is sealed and locked.
    const clerk = await t.newPage();
    await login(clerk, USERS.clerk);
    await openMenu(clerk, WORKFLOW_MENU.signing);
    assert.equal(await dashboardRow(clerk).getByRole('link', { name: 'Ký hàng loạt' }).count(), 0, 'the clerk has no "Ký hàng loạt"');
    const sealed = await navigating(clerk, () => dashboardRow(clerk).getByRole('button', { name: 'Đóng dấu số' }).click());
    assert.equal(sealed.status(), 200, '"Đóng dấu số"');
    await expectText(clerk.locator('h1'), 'Đóng dấu số');
    await expectText(clerk.locator('main p.ok'), `Đã đóng dấu ${signedCount} học bạ.`);
    assert.equal(await clerk.locator('main .error-message').count(), 0, 'no record failed to be sealed');
    await shot('seal-applied', clerk);

    await openClassRecordsFromDashboard(clerk);
    const rows = await recordRows(clerk);
    for (const r of rows) {
      if (r.code === excluded) {
        assert.deepEqual([r.state, r.signatures], [STATE.homeroomSigned, '1'], `${excludedName} was excluded`);
      } else if (r.version !== '') {
        // Sealed, or already accepted by the registry the server sends to.
        assert.ok(isSealed(r.state), `${r.name} after the seal: ${r.state}`);
        assert.equal(r.signatures, '3', `${r.name}: three signatures`);
      }
    }
    assert.equal(rows.filter((r) => isSealed(r.state)).length, signedCount);
    await shot('class-records-sealed', clerk);
    await openMenu(clerk, WORKFLOW_MENU.signing);
    const end = await dashboardCounts(clerk);
    assert.deepEqual([end.homeroomSigned, end.principalSigned, end.sealed], [1, 0, signedCount], `dashboard after the seal ${JSON.stringify(end)}`);
  }),
];
