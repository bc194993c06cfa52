// Story 16: "Kết quả kiểm tra lại / rèn luyện hè". The homeroom teacher opens it from
// "Tổng hợp kết quả" of the class, types an invalid re-assessment score (red, a
// Vietnamese message, nothing saved), then valid results: a failing score gives "Ở lại
// lớp", passing scores "Lên lớp", each shown on the page and on the summary.
//
// Works on 11A1 of Trường THPT Chu Văn An (0303, `gvcn2.0303`), which no other
// walk-through uses; every demo THPT class has a student re-assessed in summer and then
// promoted (crates/demo, `Profile::Reassessed`).

import { MENU, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';

const HOMEROOM = 'gvcn2.0303';
const CLASS = 'Lớp 11A1';
const SUMMER = 'Kết quả kiểm tra lại / rèn luyện hè';

export default [
  walk('homeroom teacher enters summer re-assessment results: "11" is red and unsaved, a failing score gives "Ở lại lớp", passing ones "Lên lớp", on the page and the summary', async ({ page, shot }) => {
    await login(page, HOMEROOM);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: MENU.summary }).click());
    await navigating(page, () => page.getByRole('link', { name: CLASS }).click());
    assert.match(pathOf(page), /^\/classes\/\d+\/summary$/);
    const summaryUrl = page.url();
    await navigating(page, () => page.getByRole('link', { name: SUMMER }).click());
    assert.match(pathOf(page), /^\/classes\/\d+\/summer$/);
    await expectText(page.locator('h1'), `${SUMMER} — Lớp 11A1`);
    const url = page.url();

    // A student promoted after a re-assessment with a score (not a Đạt / Chưa đạt one).
    const sections = page.locator('section.summer');
    const count = await sections.count();
    assert.ok(count >= 1, 'the class has students with summer work');
    let code = null;
    for (let i = 0; i < count; i++) {
      const s = sections.nth(i);
      const result = await s.locator('[data-col="result"]').innerText();
      const scores = await s.locator('input[name^="ktl_"]').count();
      if (scores > 0 && /Lên lớp/.test(result) && !/Rèn luyện/.test(result)) {
        code = await s.getAttribute('data-student');
        break;
      }
    }
    assert.ok(code, 'a re-assessed, promoted student with a score to re-assess');
    const section = page.locator(`section.summer[data-student="${code}"]`);
    const name = (await section.locator('h2').innerText()).replace(/^\d+\.\s*/, '').trim();
    const score = section.locator('input[name^="ktl_"]').first();
    const field = await score.getAttribute('name');
    const stored = await score.inputValue();

    // An invalid score: red, a Vietnamese message, nothing saved.
    await score.fill('11');
    await navigating(page, () => section.getByRole('button', { name: 'Lưu', exact: true }).click());
    await expectText(page.locator('main .error-message').first(), `Chưa lưu kết quả hè của ${name}: có ô không hợp lệ`);
    const bad = page.locator(`section.summer[data-student="${code}"] input[name="${field}"]`);
    assert.equal(await bad.inputValue(), '11', 'the typed value is shown again');
    assert.equal(await bad.getAttribute('aria-invalid'), 'true');
    assert.equal(await bad.getAttribute('title'), 'Điểm phải từ 0 đến 10');
    const border = await bad.evaluate((el) => getComputedStyle(el).borderTopColor);
    const [r, g, b] = border.match(/\d+/g).map(Number);
    assert.ok(r > 150 && g < 100 && b < 100, `the cell's border is red (${border})`);
    await shot('summer-invalid');
    await page.goto(url);
    assert.equal(
      await page.locator(`section.summer[data-student="${code}"] input[name="${field}"]`).inputValue(),
      stored,
      'nothing was saved',
    );

    /** Fills the student's form (`first` for the first score, `rest` for the others,
     *  Đạt for Đạt / Chưa đạt subjects, the stored date), saves it, and checks the
     *  decision on the page and on the summary. */
    const save = async (first, rest, decision) => {
      await page.goto(url);
      const form = page.locator(`section.summer[data-student="${code}"]`);
      const inputs = form.locator('input[name^="ktl_"]');
      for (let i = 0; i < (await inputs.count()); i++) await inputs.nth(i).fill(i === 0 ? first : rest);
      const selects = form.locator('select[name^="kq_"]');
      for (let i = 0; i < (await selects.count()); i++) await selects.nth(i).selectOption({ label: 'Đạt' });
      const date = form.locator('input[name="ngay"]');
      if ((await date.inputValue()) === '') await date.fill('2026-07-20');
      await navigating(page, () => form.getByRole('button', { name: 'Lưu', exact: true }).click());
      await expectText(page.locator('main p.ok'), `Đã lưu kết quả hè của ${name}:`);
      const saved = page.locator(`section.summer[data-student="${code}"]`);
      const result = await expectText(saved.locator('[data-col="result"]'), decision);
      assert.equal(await saved.locator(`input[name="${field}"]`).inputValue(), first, 'the score is stored');
      assert.equal(await saved.locator('[aria-invalid="true"]').count(), 0, 'no red cell');
      await page.goto(summaryUrl);
      await expectText(page.locator(`table.summary tbody tr[data-student="${code}"]`), decision);
      return result;
    };

    // A re-assessed score under 3,5 keeps the year's learning Chưa đạt: "Ở lại lớp".
    const retained = await save('2,0', '7,5', 'Ở lại lớp');
    assert.ok(!/Lên lớp/.test(retained), retained);
    // Passing scores everywhere: "Lên lớp", on the page and on the summary.
    await save('7,5', '7,5', 'Lên lớp');
    await page.goto(url);
    await expectText(page.locator(`section.summer[data-student="${code}"] [data-col="result"]`), 'Lên lớp');
    await shot('summer-saved');
  }),
];
