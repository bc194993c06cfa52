// Story 5: "Nhập điểm" with the keyboard. A row with a cell out of range (11) or
// malformed ("8,5,") is refused whole and shown in red; every other row is saved.

import {
  MENU,
  USERS,
  assert,
  expectText,
  focusedName,
  login,
  navigating,
  pathOf,
  readGridRow,
  semesterAverage,
  storedForm,
  walk,
} from '../helpers.mjs';

export default [
  walk('subject teacher types a grid with Tab and Enter; the row with 11 and the row with "8,5," stay red and unsaved, the other rows are saved', async ({ page, shot }) => {
    await login(page, USERS.subjectTeacher);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: MENU.scores }).click());
    assert.equal(pathOf(page), '/scores');
    await shot('scores-assignments');
    const first = page.locator('main table.list tbody tr').first();
    await navigating(page, () => first.getByRole('link', { name: 'Học kì I', exact: true }).click());
    assert.match(pathOf(page), /^\/scores\/\d+\/[A-Z_]+$/);
    await expectText(page.locator('h1'), /^Nhập điểm — .+ — Lớp .+ — Học kì I$/);
    const sheetUrl = page.url();

    const rows = page.locator('#grid tbody tr');
    assert.ok((await rows.count()) >= 6, 'the class has at least six students');
    const before = [];
    for (let i = 0; i < 4; i += 1) before.push(await readGridRow(rows.nth(i)));
    const regularCount = before[0].cells.length - 2;
    assert.ok(regularCount >= 1, 'the grid has regular-score columns');

    // What is typed, per row: every regular score, then mid-term, then final. Values
    // differ from what the demo stored, so that "saved" and "kept" can be told apart.
    const CANDIDATES = [
      ['8', '7,5', '9', '6.5', '10', '5'],
      ['4', '6', '3,5', '7'],
      ['9', '8', '7', '6'],
      ['10', '9,5', '6', '5,5'],
    ];
    const plan = before.map((row, r) =>
      row.cells.map((cell, c) => {
        const choices = [...CANDIDATES[r].slice(c % 4), ...CANDIDATES[r]];
        return choices.find((v) => storedForm(v) !== cell.value);
      }),
    );
    const BAD_RANGE = { row: 1, cell: regularCount }; // ĐĐGgk of the second student
    const BAD_FORMAT = { row: 2, cell: regularCount + 1 }; // ĐĐGck of the third student
    plan[BAD_RANGE.row][BAD_RANGE.cell] = '11';
    plan[BAD_FORMAT.row][BAD_FORMAT.cell] = '8,5,';

    // Keyboard only from the first cell on: type, Tab to the next cell; after the final
    // score, Tab passes the comment box and reaches the next student's first cell.
    await rows.nth(0).locator('input.score').first().focus();
    for (let r = 0; r < plan.length; r += 1) {
      for (let c = 0; c < plan[r].length; c += 1) {
        assert.equal(await focusedName(page), before[r].cells[c].name, `Tab order reaches row ${r + 1}, cell ${c + 1}`);
        await page.keyboard.press('Control+A');
        await page.keyboard.type(plan[r][c]);
        await page.keyboard.press('Tab');
      }
      assert.equal(await focusedName(page), `nx_${before[r].code}`, 'after the final score comes the comment');
      await page.keyboard.press('Tab');
    }

    // The bad cells turn red while typing, before anything is sent.
    const cell = (at) => rows.nth(at.row).locator('input.score').nth(at.cell);
    for (const at of [BAD_RANGE, BAD_FORMAT]) {
      assert.match((await cell(at).getAttribute('class')) ?? '', /\binvalid\b/, `row ${at.row + 1} cell ${at.cell + 1} is marked while typing`);
    }
    // The average is previewed as typed for a valid row.
    const [tx0, gk0, ck0] = [plan[0].slice(0, regularCount), plan[0][regularCount], plan[0][regularCount + 1]];
    await expectText(rows.nth(0).locator('td.avg output'), semesterAverage(tx0, gk0, ck0));

    // Enter moves down the column (it does not submit the form).
    const fifth = await readGridRow(rows.nth(4));
    const sixth = await readGridRow(rows.nth(5));
    assert.equal(await focusedName(page), fifth.cells[0].name, 'Tab after the fourth row reaches the fifth');
    await page.keyboard.press('Enter');
    assert.equal(await focusedName(page), sixth.cells[0].name, 'Enter moves to the same column of the next row');
    assert.equal(page.url(), sheetUrl, 'Enter did not submit the form');

    const saved = await navigating(page, () => page.getByRole('button', { name: 'Lưu' }).click());
    assert.equal(saved.status(), 200);
    const total = await rows.count();
    await expectText(page.locator('.error-message'), `Đã lưu ${total - 2} học sinh. 2 học sinh chưa được lưu`);

    // The refused rows come back as typed, red, with the reason in Vietnamese.
    const badRange = cell(BAD_RANGE);
    assert.equal(await badRange.inputValue(), '11');
    assert.match((await badRange.getAttribute('class')) ?? '', /\binvalid\b/);
    assert.equal(await badRange.getAttribute('aria-invalid'), 'true');
    assert.equal(await badRange.getAttribute('title'), 'Điểm phải từ 0 đến 10');
    await expectText(rows.nth(BAD_RANGE.row).locator('td.notes'), 'Chưa lưu dòng này. · ĐĐGgk: Điểm phải từ 0 đến 10');
    assert.match((await rows.nth(BAD_RANGE.row).getAttribute('class')) ?? '', /\binvalid-row\b/);
    const red = await badRange.evaluate((el) => getComputedStyle(el).borderTopColor);
    const [r, g, b] = red.match(/\d+/g).map(Number);
    assert.ok(r > g + 60 && r > b + 60, `the invalid cell's border is red (${red})`);
    const goodBorder = await rows.nth(0).locator('input.score').first().evaluate((el) => getComputedStyle(el).borderTopColor);
    assert.notEqual(goodBorder, red, 'a valid cell is not red');

    const badFormat = cell(BAD_FORMAT);
    assert.equal(await badFormat.inputValue(), '8,5,');
    assert.match((await badFormat.getAttribute('title')) ?? '', /^Điểm không hợp lệ/);
    await expectText(rows.nth(BAD_FORMAT.row).locator('td.notes'), 'ĐĐGck: Điểm không hợp lệ');
    assert.equal(await page.locator('#grid input.invalid').count(), 2, 'exactly the two bad cells are red');
    await badRange.scrollIntoViewIfNeeded();
    await shot('score-grid-invalid');

    // Read back from the server: rows 1 and 4 hold what was typed, rows 2 and 3 hold
    // exactly what they held before (nothing half-saved).
    await page.goto(sheetUrl);
    for (let i = 0; i < 4; i += 1) {
      const now = await readGridRow(rows.nth(i));
      const refused = i === BAD_RANGE.row || i === BAD_FORMAT.row;
      const expected = refused ? before[i].cells.map((c) => c.value) : plan[i].map(storedForm);
      assert.deepEqual(now.cells.map((c) => c.value), expected, `row ${i + 1} (${now.name}) ${refused ? 'kept as before' : 'saved'}`);
      if (refused) assert.equal(now.average, before[i].average, `row ${i + 1} average unchanged`);
    }
    const p3 = plan[3];
    assert.equal(
      (await readGridRow(rows.nth(3))).average,
      semesterAverage(p3.slice(0, regularCount), p3[regularCount], p3[regularCount + 1]),
      'the server computes ĐTBmhk of a saved row',
    );
    assert.equal(await page.locator('#grid input.invalid').count(), 0, 'nothing red after reloading');
  }),
];
