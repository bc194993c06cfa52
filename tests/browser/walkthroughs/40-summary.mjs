// Story 9: "Tổng hợp kết quả" of the homeroom teacher, computed live from the scores the
// subject teachers entered.

import {
  MENU,
  USERS,
  assert,
  expectText,
  login,
  navigating,
  pathOf,
  readGridRow,
  semesterAverage,
  studentName,
  summaryRow,
  summaryRows,
  walk,
} from '../helpers.mjs';

const SUMMARY_HEADERS = ['Ngữ văn', 'Toán', 'Kết quả học tập', 'Kết quả rèn luyện', 'Số ngày nghỉ', 'Kết quả cuối năm', 'Danh hiệu'];

export default [
  walk('homeroom teacher opens "Tổng hợp kết quả" of 6A1 and sees every subject\'s averages and the year results', async ({ page, shot }) => {
    await login(page, USERS.homeroom);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: MENU.summary }).click());
    assert.equal(pathOf(page), '/classes');
    await navigating(page, () => page.getByRole('link', { name: 'Lớp 6A1' }).click());
    assert.match(pathOf(page), /^\/classes\/\d+\/summary$/);
    await expectText(page.locator('h1'), '6A1');

    const headers = await page.locator('table.summary thead').innerText();
    for (const h of SUMMARY_HEADERS) assert.ok(headers.includes(h), `summary header has "${h}"`);
    const rows = page.locator('table.summary tbody tr');
    const students = await rows.count();
    await expectText(page.locator('ul.counts'), new RegExp(`(^|\\s)${students} học sinh`));

    // Averages: HK I, HK II and CN of every scored subject, as "7,8".
    const averages = await page
      .locator('table.summary tbody td')
      .evaluateAll((tds) => tds.filter((td) => /^\d{1,2},\d$/.test(td.textContent.trim())).length);
    assert.ok(averages >= students * 3, `averages shown (${averages} cells for ${students} students)`);
    // Learning results, year-end outcomes and titles from the rule engine, in every row
    // (the demo year is complete: nothing is missing).
    await expectText(page.locator('ul.counts'), /(^|\s)0 còn thiếu dữ liệu/);
    const all = await summaryRows(page);
    for (const [i, r] of all.entries()) {
      assert.match(r.learning.year, /^(Tốt|Khá|Đạt|Chưa đạt)$/, `row ${i + 1}: year learning result (${r.learning.year})`);
      assert.match(r.yearEnd, /(Lên lớp|Ở lại lớp)/, `row ${i + 1}: year-end outcome (${r.yearEnd})`);
      assert.match(r.title, /^(|Học sinh Giỏi|Học sinh Xuất sắc)$/, `row ${i + 1}: title (${r.title})`);
    }
    const titled = all.filter((r) => r.title !== '').length;
    await expectText(page.locator('ul.counts'), new RegExp(`(^|\\s)${titled} có danh hiệu`));
    const first = await summaryRow(page, await studentName(rows.first()));
    assert.match(first.bySubject['Ngữ văn'].hk1, /^\d{1,2},\d$/, 'Ngữ văn HK I of the first student');
    await shot('class-summary');
    // The table scrolls sideways at 1280 px; a second picture shows every column.
    const width = await page.locator('table.summary').evaluate((t) => Math.ceil(t.scrollWidth + 40));
    await page.setViewportSize({ width: Math.max(1280, width), height: 800 });
    await shot('class-summary-wide');
  }),

  walk('a score saved by the subject teacher shows at once in the homeroom teacher\'s summary', async ({ page, newPage }) => {
    await login(page, USERS.subjectTeacher);
    await page.goto('/scores');
    const row6A1 = page.locator('main table.list tbody tr', { has: page.locator('td', { hasText: /^6A1$/ }) });
    await navigating(page, () => row6A1.getByRole('link', { name: 'Học kì I', exact: true }).click());
    const rows = page.locator('#grid tbody tr');
    const last = rows.nth((await rows.count()) - 1);
    const student = await readGridRow(last);
    const regular = student.cells.slice(0, -2).map((_, i) => ['9', '7,5', '10', '6'][i % 4]);
    const [midterm, finalExam] = ['5,5', '10'];
    const inputs = last.locator('input.score');
    for (const [i, v] of [...regular, midterm, finalExam].entries()) await inputs.nth(i).fill(v);
    await navigating(page, () => page.getByRole('button', { name: 'Lưu' }).click());
    await expectText(page.locator('p.ok'), 'Đã lưu điểm của');
    const expected = semesterAverage(regular, midterm, finalExam);
    assert.equal((await readGridRow(last)).average, expected);

    const homeroom = await newPage();
    await login(homeroom, USERS.homeroom);
    await homeroom.goto('/classes');
    await navigating(homeroom, () => homeroom.getByRole('link', { name: 'Lớp 6A1' }).click());
    const seen = await summaryRow(homeroom, student.name);
    assert.equal(seen.bySubject['Ngữ văn'].hk1, expected, `Ngữ văn HK I of ${student.name} in the summary`);
  }),
];
