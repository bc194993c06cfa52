// Story 6 and Excel out: the subject teacher's "Xuất Excel" of a score grid and the
// homeroom teacher's "Xuất Excel" of the class summary download .xlsx workbooks holding
// what the pages show (read back with xlsx.mjs); "Nhập từ Excel" of the grid refuses a
// file with one bad row (nothing saved) and imports the fixed one.
//
// The import changes the HK II mid-term of 6A1's 14th and 15th students (the other
// walk-throughs on 6A1 use rows 1–4, 11–13 and the last).

import fs from 'node:fs';
import path from 'node:path';

import { MENU, USERS, assert, expectText, login, navigating, pathOf, readGridRow, storedForm, walk } from '../helpers.mjs';
import { xlsx, xlsxTexts } from '../xlsx.mjs';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Clicks the link `name` on `page`, expects a download; returns its name and bytes. */
async function download(page, name) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name, exact: true }).click()]);
  const bytes = fs.readFileSync(await d.path());
  return { filename: d.suggestedFilename(), bytes };
}

export default [
  walk('subject teacher "Xuất Excel" of the 6A1 Ngữ văn grid downloads an .xlsx with the students and scores', async ({ page }) => {
    await login(page, USERS.subjectTeacher);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: MENU.scores }).click());
    const row6A1 = page.locator('main table.list tbody tr', { has: page.locator('td', { hasText: /^6A1$/ }) });
    await navigating(page, () => row6A1.getByRole('link', { name: 'Học kì II', exact: true }).click());
    const grid = pathOf(page);
    const student = await readGridRow(page.locator('#grid tbody tr').nth(5));

    const href = await page.getByRole('link', { name: 'Xuất Excel', exact: true }).getAttribute('href');
    const res = await page.request.get(href);
    assert.equal(res.status(), 200, `GET ${href}`);
    assert.equal(res.headers()['content-type'], XLSX_TYPE);
    assert.match(res.headers()['content-disposition'], /^attachment; filename/);

    const { filename, bytes } = await download(page, 'Xuất Excel');
    assert.match(filename, /\.xlsx$/, `file name ${filename}`);
    assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'a zip file');
    const texts = xlsxTexts(bytes);
    assert.ok(texts.includes(student.name), `the sheet lists ${student.name}`);
    assert.ok(texts.includes(student.code), `the sheet has the student code ${student.code}`);
    const final = student.cells.find((c) => c.name.startsWith('ck_')).value;
    assert.ok(texts.some((t) => t === final || t === final.replace(',', '.')), `the final score ${final} is in the sheet`);
    assert.equal(pathOf(page), grid, 'the page stays on the grid');
  }),

  walk('homeroom teacher "Xuất Excel" of the 6A1 summary downloads an .xlsx with every student and the year results', async ({ page }) => {
    await login(page, USERS.homeroom);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: MENU.summary }).click());
    await navigating(page, () => page.getByRole('link', { name: 'Lớp 6A1' }).click());
    const names = await page.locator('table.summary tbody tr td.name').evaluateAll((tds) =>
      tds.map((td) => [...td.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim()),
    );
    const { filename, bytes } = await download(page, 'Xuất Excel');
    assert.match(filename, /\.xlsx$/, `file name ${filename}`);
    const texts = xlsxTexts(bytes);
    for (const n of names) assert.ok(texts.includes(n), `the workbook lists ${n}`);
    const all = texts.join('\n');
    for (const h of ['Kết quả học tập', 'Kết quả rèn luyện']) assert.ok(all.includes(h), `the workbook has "${h}"`);
    assert.ok(/Lên lớp/.test(all), 'year-end outcomes are in the workbook');
  }),

  walk('subject teacher "Nhập từ Excel": a sheet with a score of 11 saves nothing and names the row; the fixed sheet is imported', async ({ page, tmp, shot }) => {
    await login(page, USERS.subjectTeacher);
    await page.goto('/scores');
    const row6A1 = page.locator('main table.list tbody tr', { has: page.locator('td', { hasText: /^6A1$/ }) });
    await navigating(page, () => row6A1.getByRole('link', { name: 'Học kì II', exact: true }).click());
    const gridUrl = page.url();
    const rows = page.locator('#grid tbody tr');
    const students = [await readGridRow(rows.nth(13)), await readGridRow(rows.nth(14))];
    const regularCount = Math.max(...students.map((s) => s.cells.filter((c) => c.name.startsWith('tx_')).length));
    const header = ['STT', 'Mã học sinh', 'Họ và tên', ...Array.from({ length: regularCount }, (_, i) => `ĐĐGtx ${i + 1}`), 'ĐĐGgk', 'ĐĐGck', 'Nhận xét'];
    const value = (s, prefix) => s.cells.find((c) => c.name.startsWith(prefix))?.value ?? '';
    const line = (s, i, midterm) => {
      const regular = s.cells.filter((c) => c.name.startsWith('tx_')).map((c) => c.value);
      while (regular.length < regularCount) regular.push('');
      return [String(i + 1), s.code, s.name, ...regular, midterm, value(s, 'ck_'), ''];
    };
    const before = students.map((s) => value(s, 'gk_'));
    const wanted = before.map((v) => (v === '6,5' ? '7' : '6,5'));
    const file = (name, midterms) => {
      const p = path.join(tmp, name);
      fs.writeFileSync(p, xlsx([header, ...students.map((s, i) => line(s, i, midterms[i]))], 'Bảng điểm'));
      return p;
    };

    // One bad row (row 3 of the file: the second student, mid-term 11): nothing saved.
    await navigating(page, () => page.getByRole('link', { name: 'Nhập từ Excel', exact: true }).click());
    await expectText(page.locator('h1'), 'Nhập từ Excel — Ngữ văn — Lớp 6A1 — Học kì II');
    await page.getByLabel(/Tệp Excel/).setInputFiles(file('bang-diem-loi.xlsx', [wanted[0], '11']));
    const refused = await navigating(page, () => page.getByRole('button', { name: 'Tải lên và nhập điểm' }).click());
    assert.ok(refused.status() >= 400, `a file with a bad row is refused (${refused.status()})`);
    await expectText(page.locator('main .error-message'), /1 dòng sai.*Không có gì được lưu/s);
    const listed = page.locator('main table.list tbody tr');
    assert.equal(await listed.count(), 1, 'one row listed');
    assert.equal((await listed.locator('td').first().innerText()).trim(), 'Dòng 3', 'the bad row by its number in the file');
    await expectText(listed, students[1].code);
    await expectText(listed, /ĐĐGgk \(ô [A-Z]+3\): Điểm phải từ 0 đến 10/);
    await shot('score-import-refused');
    await page.goto(gridUrl);
    for (const [i, s] of students.entries()) {
      assert.equal(await page.locator(`input[name="gk_${s.code}"]`).inputValue(), before[i], `${s.name}: nothing saved`);
    }

    // The fixed file: both students imported, the grid shows the new mid-terms.
    await navigating(page, () => page.getByRole('link', { name: 'Nhập từ Excel', exact: true }).click());
    await page.getByLabel(/Tệp Excel/).setInputFiles(file('bang-diem.xlsx', wanted));
    const done = await navigating(page, () => page.getByRole('button', { name: 'Tải lên và nhập điểm' }).click());
    assert.equal(done.status(), 200, 'the fixed file is imported');
    await expectText(page.locator('main p.ok'), 'Đã nhập điểm của 2 học sinh từ tệp «bang-diem.xlsx»');
    await shot('score-import-done');
    await page.goto(gridUrl);
    for (const [i, s] of students.entries()) {
      assert.equal(await page.locator(`input[name="gk_${s.code}"]`).inputValue(), storedForm(wanted[i]), `${s.name}: imported`);
    }
  }),
];
