// Stories 10 and 11 (and 8 for locking): the homeroom teacher of 7A1 marks the class
// reviewed ("Xác nhận tổng hợp") — refused while the Ngữ văn teacher has cleared a
// student's final score, accepted once it is back —
// then signs the class's records ("Ký số học bạ lớp") with the demo PKI's gvcn.p12.
//
// First of the signing walk-throughs on 7A1 (see ../workflow.mjs): it expects the class
// as seeded (nothing reviewed); 80-batch-sign, 85-unlock and 95-paper-copy continue from
// what it leaves, or prepare it themselves when run alone.

import { MENU, USERS, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';
import {
  SIGN_CLASS,
  STATE,
  WORKFLOW_MENU,
  clickReview,
  openMenu,
  openOwnClassRecords,
  recordRows,
  signAsHomeroom,
} from '../workflow.mjs';

const NO_ID = 'Chưa có mã định danh — không lập được học bạ để ký';
/** What the summary and the refused review say of the cleared score. */
const MISSING = 'Ngữ văn: học kì II chưa có điểm cuối kì';

export default [
  walk('homeroom teacher of 7A1: "Xác nhận tổng hợp" refused while a score is missing, then reviewed and "Ký số học bạ lớp" with gvcn.p12', async (t) => {
    const { page, pki, shot } = t;
    await login(page, SIGN_CLASS.homeroom);
    const menu = (await page.getByRole('navigation').getByRole('link').allInnerTexts()).map((s) => s.trim());
    assert.ok(menu.includes(WORKFLOW_MENU.classRecords), `menu ${JSON.stringify(menu)} has "${WORKFLOW_MENU.classRecords}"`);
    assert.ok(!menu.includes(WORKFLOW_MENU.signing), `a homeroom teacher's menu ${JSON.stringify(menu)} has no "${WORKFLOW_MENU.signing}"`);
    const classId = await openOwnClassRecords(page);
    await expectText(page.locator('h1'), `Học bạ lớp ${SIGN_CLASS.name}`);
    await expectText(page.locator('main'), 'Lớp chưa xác nhận tổng hợp.');
    const before = await recordRows(page);
    assert.ok(before.length >= 20, `the class list (${before.length} students)`);
    const noId = before.filter((r) => r.state === NO_ID);
    const buildable = before.filter((r) => r.state === STATE.notBuilt);
    assert.equal(noId.length + buildable.length, before.length, `every row is "${STATE.notBuilt}" or without a personal ID: ${JSON.stringify(before.map((r) => r.state))}`);
    assert.ok(noId.length >= 1, 'the demo class has a student without a personal ID');
    // Nothing to sign yet.
    assert.equal(await page.getByRole('button', { name: 'Ký số học bạ lớp' }).count(), 0, 'no signing form before the review');

    // The Ngữ văn teacher clears one student's HK II final score (ĐĐGck) …
    const victim = buildable[1];
    const teacher = await t.newPage();
    await login(teacher, USERS.subjectTeacher);
    await openMenu(teacher, MENU.scores);
    const assignment = teacher
      .locator('main table.list tbody tr')
      .filter({ has: teacher.locator('td:first-child', { hasText: new RegExp(`^${SIGN_CLASS.name}$`) }) })
      .filter({ hasText: 'Ngữ văn' });
    await navigating(teacher, () => assignment.getByRole('link', { name: 'Học kì II', exact: true }).click());
    const finalScore = teacher.getByLabel(`ĐĐGck của ${victim.name}`, { exact: true });
    const kept = await finalScore.inputValue();
    assert.notEqual(kept, '', `${victim.name} has a HK II final score in the demo data`);
    await finalScore.fill('');
    await navigating(teacher, () => teacher.getByRole('button', { name: 'Lưu', exact: true }).click());
    await expectText(teacher.locator('main'), /Đã lưu điểm của \d+ học sinh/);
    assert.equal(await finalScore.inputValue(), '', 'the final score is cleared');
    // … the homeroom teacher's summary shows it missing …
    await navigating(page, () => page.locator('p.tabs').getByRole('link', { name: 'Tổng hợp kết quả' }).click());
    assert.equal(pathOf(page), `/classes/${classId}/summary`);
    const summaryRow = page.locator(`table.summary tbody tr[data-student="${victim.code}"]`);
    await expectText(summaryRow, MISSING);

    // … and "Xác nhận tổng hợp" is refused with what is missing, nothing stored.
    await page.goto(`/classes/${classId}/records`);
    const refused = await clickReview(page);
    assert.equal(refused.status(), 409, '"Xác nhận tổng hợp" with a score missing');
    const error = page.locator('main .error-message');
    await expectText(error, 'Chưa xác nhận được');
    await expectText(error, 'không có gì được lưu');
    await expectText(error, `${victim.name}: ${MISSING}`);
    assert.equal((await error.locator('li').allInnerTexts()).length, 1, 'only that student is listed');
    await expectText(page.locator('main'), 'Lớp chưa xác nhận tổng hợp.');
    assert.ok((await recordRows(page)).every((r) => r.state !== STATE.reviewed), 'no record was built');
    await shot('class-review-refused');

    // The score back: the review goes through and builds a record per student who has
    // a personal ID.
    await finalScore.fill(kept);
    await navigating(teacher, () => teacher.getByRole('button', { name: 'Lưu', exact: true }).click());
    assert.equal(await finalScore.inputValue(), kept, 'the final score is back');
    const reviewed = await clickReview(page);
    assert.equal(reviewed.status(), 200, '"Xác nhận tổng hợp" once nothing is missing');
    await expectText(page.locator('main p.ok'), `Đã xác nhận tổng hợp: lập ${buildable.length} học bạ.`);
    await expectText(page.locator('main'), 'Đã xác nhận tổng hợp lúc');
    let rows = await recordRows(page);
    for (const r of rows) {
      if (noId.some((n) => n.code === r.code)) {
        assert.equal(r.state, NO_ID, `${r.name}: still blocked without a personal ID`);
      } else {
        assert.deepEqual([r.state, r.version, r.signatures], [STATE.reviewed, '1', '0'], `${r.name} after the review`);
      }
    }
    await expectText(page.locator('main form[enctype="multipart/form-data"]'), `${buildable.length} học bạ chờ giáo viên chủ nhiệm ký.`);
    await shot('class-reviewed');

    // A wrong password signs nothing and says why.
    const wrong = await signAsHomeroom(page, pki, 'gvcn.p12', 'not-the-password');
    assert.equal(wrong.status(), 400, 'signing with a wrong password');
    await expectText(page.locator('main .error-message'), 'Mật khẩu của tệp chứng thư số không đúng. Không có học bạ nào được ký.');
    assert.ok((await recordRows(page)).every((r) => r.signatures !== '1'), 'nothing signed with a wrong password');

    // gvcn.p12 with its password: every reviewed record signed, state shown per row.
    const signed = await signAsHomeroom(page, pki);
    assert.equal(signed.status(), 200, '"Ký số học bạ lớp"');
    await expectText(page.locator('main p.ok'), `Đã ký ${buildable.length} học bạ.`);
    assert.equal(await page.locator('main .error-message').count(), 0, 'no record failed');
    rows = await recordRows(page);
    for (const r of rows.filter((x) => !noId.some((n) => n.code === x.code))) {
      assert.deepEqual([r.state, r.version, r.signatures], [STATE.homeroomSigned, '1', '1'], `${r.name} after signing`);
    }
    assert.equal(await page.getByRole('button', { name: 'Ký số học bạ lớp' }).count(), 0, 'nothing left to sign');
    await shot('class-signed-homeroom');

    // Signed records are locked: the summary and the subject teacher's grid show the
    // row read-only.
    await page.goto(`/classes/${classId}/summary`);
    await expectText(summaryRow, 'Học bạ đã khóa');
    assert.equal(await page.getByLabel(`Kết quả rèn luyện học kì II của ${victim.name}`, { exact: true }).count(), 0, 'no conduct input for a locked record');
    await teacher.goto(teacher.url()); // a GET (the page is the answer to the grid's POST)
    await expectText(teacher.locator(`#grid tbody tr[data-student="${victim.code}"]`), 'Học bạ đã khóa');
    assert.equal(await finalScore.count(), 0, 'no score input for a locked record');
  }),
];
