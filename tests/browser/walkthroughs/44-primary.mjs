// Primary school (Thông tư 27) at Trường Tiểu học Nguyễn Bỉnh Khiêm (code 0101): the
// subject teacher's "Nhập đánh giá" grid (levels Hoàn thành tốt / Hoàn thành / Chưa hoàn
// thành, the periodic test score 1–10, a comment), and the homeroom teacher's qualities
// and competences page ("Phẩm chất, năng lực"). A row with an invalid value stays red
// and unsaved; the others survive a reload.
//
// Works on 4A at the end of semester I (the demo data fills the year end), and on the
// year-end absences of 4A's last student; no other walk-through uses that school.

import { MENU, assert, expectText, login, navigating, pathOf, studentName, walk } from '../helpers.mjs';

/** Demo accounts at the primary school. */
const PRIMARY = { mathTeacher: 'gv.toan.0101', homeroom4A: 'gvcn4.0101' };
const TEST_INVALID = 'Điểm kiểm tra là số nguyên từ 1 đến 10';
/** The five qualities and three general competences every pupil is rated on. */
const REQUIRED = ['Yêu nước', 'Nhân ái', 'Chăm chỉ', 'Trung thực', 'Trách nhiệm', 'Tự chủ và tự học', 'Giao tiếp và hợp tác', 'Giải quyết vấn đề và sáng tạo'];

export default [
  walk('primary subject teacher "Nhập đánh giá": level, test score and comment; a score of 11 stays red and unsaved', async ({ page, shot }) => {
    await login(page, PRIMARY.mathTeacher);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: MENU.scores }).click());
    const row4A = page.locator('main table.list tbody tr', { has: page.locator('td', { hasText: /^4A$/ }) });
    await navigating(page, () => row4A.getByRole('link', { name: 'Cuối HK I', exact: true }).click());
    assert.match(pathOf(page), /^\/assessments\/\d+\/TOAN$/);
    await expectText(page.locator('h1'), 'Nhập đánh giá — Toán — Lớp 4A — Cuối học kì I');
    const headers = await page.locator('#grid thead').innerText();
    for (const h of ['Mức đạt được', 'Điểm KTĐK', 'Nhận xét']) assert.ok(headers.includes(h), `grid header "${h}"`);
    const url = page.url();

    const rows = page.locator('#grid tbody tr');
    const [a, b] = [await studentName(rows.nth(0)), await studentName(rows.nth(1))];
    const level = (n) => page.getByLabel(`Mức đạt được của ${n}`, { exact: true });
    const test = (n) => page.getByLabel(`Điểm kiểm tra định kì của ${n}`, { exact: true });
    const comment = (n) => page.getByLabel(`Nhận xét của ${n}`, { exact: true });
    const labels = await level(a).locator('option').allInnerTexts();
    assert.deepEqual(labels.map((s) => s.trim()), ['—', 'Hoàn thành tốt', 'Hoàn thành', 'Chưa hoàn thành'], 'the TT27 levels');
    const bBefore = [await level(b).inputValue(), await test(b).inputValue(), await comment(b).inputValue()];

    await level(a).selectOption({ label: 'Hoàn thành tốt' });
    await test(a).fill('9');
    await comment(a).fill('Tính nhanh, trình bày sạch đẹp.');
    await level(b).selectOption({ label: 'Hoàn thành' });
    await test(b).fill('11');
    await comment(b).fill('Cần cẩn thận hơn khi tính.');
    await navigating(page, () => page.getByRole('button', { name: 'Lưu', exact: true }).click());
    await expectText(page.locator('main .error-message'), /Đã lưu \d+ học sinh\. 1 học sinh chưa được lưu/);
    assert.equal(await test(b).getAttribute('aria-invalid'), 'true', 'the 11 is marked invalid');
    assert.equal(await test(b).getAttribute('title'), TEST_INVALID);
    const notes = await rows.nth(1).locator('td.notes').innerText();
    assert.ok(notes.startsWith('Chưa lưu dòng này.') && notes.includes(TEST_INVALID), notes);
    await shot('primary-grid-invalid');

    await page.goto(url);
    const aLevel = await level(a).evaluate((s) => s.selectedOptions[0].textContent);
    assert.deepEqual([aLevel, await test(a).inputValue(), await comment(a).inputValue()], ['Hoàn thành tốt', '9', 'Tính nhanh, trình bày sạch đẹp.'], `${a} saved`);
    assert.deepEqual([await level(b).inputValue(), await test(b).inputValue(), await comment(b).inputValue()], bBefore, `${b} unchanged, nothing half-saved`);
    await shot('primary-grid-saved');
  }),

  walk('primary homeroom teacher rates qualities and competences; year-end absences "x" stay red and unsaved', async ({ page, shot }) => {
    await login(page, PRIMARY.homeroom4A);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: MENU.summary }).click());
    await navigating(page, () => page.getByRole('link', { name: 'Lớp 4A', exact: true }).click());
    assert.match(pathOf(page), /^\/classes\/\d+\/summary$/);
    await expectText(page.locator('main'), 'Thông tư 27');
    await expectText(page.locator('main table thead'), 'Kết quả giáo dục');
    await shot('primary-summary');

    await navigating(page, () => page.getByRole('link', { name: 'phẩm chất, năng lực cuối học kì I' }).click());
    assert.match(pathOf(page), /^\/classes\/\d+\/tt27$/);
    await expectText(page.locator('h1'), 'Phẩm chất, năng lực — Lớp 4A — Cuối học kì I');
    const url = page.url();
    const rows = page.locator('#grid tbody tr');
    const a = await studentName(rows.nth(2));
    const rating = (item, n) => page.getByLabel(`${item} của ${n}`, { exact: true });
    const chosen = REQUIRED.map((item, i) => [item, ['Tốt', 'Đạt', 'Tốt', 'Cần cố gắng'][i % 4]]);
    for (const [item, label] of chosen) await rating(item, a).selectOption({ label });
    await navigating(page, () => page.getByRole('button', { name: 'Lưu', exact: true }).click());
    await expectText(page.locator('main p.ok'), /Đã lưu phẩm chất, năng lực của \d+ học sinh\./);
    await page.goto(url);
    for (const [item, label] of chosen) {
      const shown = await rating(item, a).evaluate((s) => s.selectedOptions[0].textContent);
      assert.equal(shown, label, `${item} of ${a} after the reload`);
    }
    await shot('primary-ratings');

    // Year end: absences are entered here too; "x" is refused and the row kept.
    await navigating(page, () => page.locator('p.tabs').getByRole('link', { name: 'Cuối năm học' }).click());
    const last = await studentName(rows.last());
    const absent = page.getByLabel(`Số ngày nghỉ không phép của ${last}`, { exact: true });
    const kept = await absent.inputValue();
    await absent.fill('x');
    await navigating(page, () => page.getByRole('button', { name: 'Lưu', exact: true }).click());
    await expectText(page.locator('main .error-message'), /1 học sinh chưa được lưu/);
    assert.equal(await absent.getAttribute('aria-invalid'), 'true', 'the "x" is marked invalid');
    assert.equal(await absent.inputValue(), 'x', 'what was typed is shown again');
    await page.goto(page.url());
    assert.equal(await absent.inputValue(), kept, 'the absences are unchanged after the reload');
  }),
];
