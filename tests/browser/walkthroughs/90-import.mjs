// Story 1: the school admin imports a class list from Excel ("Nhập danh sách lớp"). A file
// with one bad row (an impossible date of birth) is previewed with that row's number and
// error, and nothing is imported; the fixed file is previewed clean and imported whole.
//
// Adds three students to 9A1, which no other walk-through reads. The .xlsx files are
// written by ../xlsx.mjs in the run's temporary directory.

import fs from 'node:fs';
import path from 'node:path';

import { USERS, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';
import { xlsx } from '../xlsx.mjs';

const CLASS = '9A1';
const HEADER = ['STT', 'Mã học sinh', 'Số định danh cá nhân', 'Họ và tên', 'Giới tính', 'Ngày sinh', 'Dân tộc', 'Quốc tịch', 'Nơi sinh', 'Nơi cư trú', 'Lớp'];
/** Three new students of 9A1 (born 2011, personal IDs consistent with sex and year). */
const STUDENTS = [
  ['1', 'THUNGHIEM00000000001', '079211999901', 'Lê Văn Thử', 'Nam', '05/09/2011', 'Kinh', 'Việt Nam', 'TP. Hồ Chí Minh', 'Phường Chợ Quán, TP. Hồ Chí Minh', CLASS],
  ['2', 'THUNGHIEM00000000002', '079311999902', 'Trần Thị Nghiệm', 'Nữ', '31/02/2011', 'Kinh', 'Việt Nam', 'TP. Hồ Chí Minh', 'Phường Chợ Quán, TP. Hồ Chí Minh', CLASS],
  ['3', 'THUNGHIEM00000000003', '', 'Phạm Minh Nhập', 'Nam', '17/12/2011', 'Kinh', 'Việt Nam', 'Đồng Nai', 'Phường Chợ Quán, TP. Hồ Chí Minh', CLASS],
];
/** The bad row: row 3 of the sheet (header on row 1), 31/02 does not exist. */
const BAD_ROW = 3;

export default [
  walk('admin "Nhập danh sách lớp": a file with a bad row is listed by row number and nothing imported; the fixed file imports all', async ({ page, tmp, shot }) => {
    await login(page, USERS.admin);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: 'Tổng quan nhà trường' }).click());
    const sizeBefore = await classSize(page, CLASS);
    const studentsBefore = await schoolStudents(page);
    await navigating(page, () => page.getByRole('link', { name: 'Nhập danh sách lớp từ Excel' }).click());
    assert.equal(pathOf(page), '/students/import');
    await expectText(page.locator('h1'), 'Nhập danh sách lớp');

    // "Tải mẫu": the template is an .xlsx download.
    const [template] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Tải mẫu danh sách lớp (.xlsx)' }).click(),
    ]);
    assert.equal(template.suggestedFilename(), 'Mẫu danh sách lớp.xlsx');
    const templateBytes = fs.readFileSync(await template.path());
    assert.equal(templateBytes.subarray(0, 2).toString('latin1'), 'PK', 'the template is a zip (xlsx)');

    // A file with one bad row: the preview names the row and its error, offers no "Nhập".
    const bad = path.join(tmp, 'danh-sach-loi.xlsx');
    fs.writeFileSync(bad, xlsx([HEADER, ...STUDENTS]));
    await page.getByLabel(/Tệp Excel/).setInputFiles(bad);
    const preview = await navigating(page, () => page.getByRole('button', { name: 'Tải lên và xem trước' }).click());
    assert.equal(preview.status(), 422, 'preview of a file with a bad row');
    await expectText(page.locator('main .error-message'), '1 dòng lỗi');
    await expectText(page.locator('main .error-message'), 'Chưa có gì được lưu');
    const rows = page.locator('main table.list tbody tr');
    assert.equal(await rows.count(), STUDENTS.length, 'one preview row per data row');
    const badRow = page.locator('main table.list tbody tr.invalid-row');
    assert.equal(await badRow.count(), 1, 'one row marked invalid');
    await expectText(badRow.locator('td').first(), `Dòng ${BAD_ROW}`);
    await expectText(badRow.locator('td.notes'), `Ngày sinh «31/02/2011» không hợp lệ: phải là một ngày có thật dạng DD/MM/YYYY (ô F${BAD_ROW})`);
    for (const text of await rows.locator('td.notes').allInnerTexts()) {
      if (!text.includes('Ngày sinh')) assert.match(text, /^Hợp lệ/, `the other rows are valid: ${text}`);
    }
    assert.equal(await page.getByRole('button', { name: /^Nhập \d+ học sinh$/ }).count(), 0, 'no "Nhập" while a row is wrong');
    await shot('import-preview-errors');
    // Nothing was written.
    await page.goto('/school');
    assert.equal(await classSize(page, CLASS), sizeBefore, `${CLASS} unchanged after the refused preview`);

    // The fixed file: every row valid, "Nhập 3 học sinh", all imported at once.
    const fixed = path.join(tmp, 'danh-sach-da-sua.xlsx');
    const fixedRows = STUDENTS.map((r) => (r[0] === String(BAD_ROW - 1) ? r.map((v) => (v === '31/02/2011' ? '28/02/2011' : v)) : r));
    fs.writeFileSync(fixed, xlsx([HEADER, ...fixedRows]));
    await page.goto('/students/import');
    await page.getByLabel(/Tệp Excel/).setInputFiles(fixed);
    const clean = await navigating(page, () => page.getByRole('button', { name: 'Tải lên và xem trước' }).click());
    assert.equal(clean.status(), 200, 'preview of the fixed file');
    await expectText(page.locator('main p.ok'), `${STUDENTS.length} học sinh, không có lỗi`);
    assert.equal(await page.locator('main table.list tbody tr.invalid-row').count(), 0, 'no invalid row');
    await expectText(page.locator('main table.list tbody tr').nth(BAD_ROW - 2), '28/02/2011');
    await shot('import-preview-ok');
    const done = await navigating(page, () => page.getByRole('button', { name: `Nhập ${STUDENTS.length} học sinh` }).click());
    assert.equal(done.status(), 200, '"Nhập"');
    await expectText(page.locator('main p.ok'), `Đã nhập ${STUDENTS.length} học sinh từ tệp «danh-sach-da-sua.xlsx» (lớp ${CLASS}: ${STUDENTS.length})`);
    await shot('import-done');
    await navigating(page, () => page.getByRole('link', { name: 'Tổng quan nhà trường' }).last().click());
    assert.equal(await classSize(page, CLASS), sizeBefore + STUDENTS.length, `${CLASS} has the imported students`);
    assert.equal(await schoolStudents(page), studentsBefore + STUDENTS.length, 'school head count');

    // The same file again: every row is now a duplicate of the database, nothing imported.
    await page.goto('/students/import');
    await page.getByLabel(/Tệp Excel/).setInputFiles(fixed);
    const again = await navigating(page, () => page.getByRole('button', { name: 'Tải lên và xem trước' }).click());
    assert.equal(again.status(), 422, 'the same file twice');
    await expectText(page.locator('main table.list tbody tr.invalid-row td.notes').first(), 'đã có trong cơ sở dữ liệu');
  }),
];

/** "Sĩ số" of a class on "Tổng quan nhà trường". */
async function classSize(page, name) {
  const row = page.locator('main table.list tbody tr').filter({ has: page.locator('td:first-child', { hasText: new RegExp(`^${name}$`) }) });
  assert.equal(await row.count(), 1, `one overview row for ${name}`);
  return Number((await row.locator('td').nth(3).innerText()).trim());
}

/** The school's head count on "Tổng quan nhà trường". */
async function schoolStudents(page) {
  const text = await page.locator('ul.counts li', { hasText: /^\d+ học sinh$/ }).innerText();
  return Number(text.match(/^(\d+)/)[1]);
}
