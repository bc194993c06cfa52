// Story 9: the homeroom teacher enters conduct ("Kết quả rèn luyện") and absences ("Số
// ngày nghỉ") on "Tổng hợp kết quả". A row with an invalid value (days "abc", a conduct
// the list does not offer) is shown in red and not saved (not even its valid cells); the
// other rows are saved and survive a reload.
//
// Works on two students in the middle of 6A1 (the grid walk-through uses the first four,
// the summary one the last).

import { MENU, USERS, assert, expectText, login, navigating, pathOf, studentName, walk } from '../helpers.mjs';

const BAD_DAYS = 'Số ngày nghỉ phải là số nguyên từ 0 đến 366';
const BAD_CONDUCT = 'Kết quả rèn luyện phải là Tốt, Khá, Đạt hoặc Chưa đạt';

export default [
  walk('homeroom teacher enters conduct and absences: "abc" days and an unknown conduct stay red and unsaved, the valid row survives a reload', async ({ page, shot }) => {
    await login(page, USERS.homeroom);
    await navigating(page, () => page.getByRole('navigation').getByRole('link', { name: MENU.summary }).click());
    await navigating(page, () => page.getByRole('link', { name: 'Lớp 6A1' }).click());
    assert.match(pathOf(page), /^\/classes\/\d+\/summary$/);
    const url = page.url();
    const rows = page.locator('table.summary tbody tr');
    const good = rows.nth(10);
    const bad = rows.nth(11);
    const goodName = await studentName(good);
    const badName = await studentName(bad);

    const conduct = (name, hk) => page.getByLabel(`Kết quả rèn luyện học kì ${hk} của ${name}`, { exact: true });
    const excused = (name) => page.getByLabel(`Nghỉ có phép của ${name}`, { exact: true });
    const unexcused = (name) => page.getByLabel(`Nghỉ không phép của ${name}`, { exact: true });
    /** Another rating than `value` among the select's options (not the empty one). */
    const other = async (select, value) => {
      const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent })));
      assert.deepEqual(options.map((o) => o.label), ['—', 'Tốt', 'Khá', 'Đạt', 'Chưa đạt'], 'the conduct ratings offered');
      return options.find((o) => o.value !== '' && o.value !== value);
    };

    // The stored values before.
    const goodBefore = {
      hk1: await conduct(goodName, 'I').inputValue(),
      excused: await excused(goodName).inputValue(),
    };
    const badBefore = {
      hk1: await conduct(badName, 'I').inputValue(),
      hk2: await conduct(badName, 'II').inputValue(),
      excused: await excused(badName).inputValue(),
      unexcused: await unexcused(badName).inputValue(),
    };
    assert.notEqual(goodBefore.hk1, '', `${goodName} has an HK I conduct in the demo data`);

    // A valid change for one student: another HK I conduct, one more excused day.
    const newConduct = await other(conduct(goodName, 'I'), goodBefore.hk1);
    const newExcused = String(Number(goodBefore.excused || '0') + 1);
    await conduct(goodName, 'I').selectOption(newConduct.value);
    await excused(goodName).fill(newExcused);
    // The next student: a valid conduct change too, but "abc" days — the whole row waits.
    const badConduct = await other(conduct(badName, 'II'), badBefore.hk2);
    await conduct(badName, 'II').selectOption(badConduct.value);
    await excused(badName).fill('2');
    await unexcused(badName).fill('abc');
    // A conduct the list does not offer, as a tampered form would send it: the server
    // refuses it too.
    await conduct(badName, 'I').evaluate((select) => {
      select.add(new Option('Xuất sắc', 'X'));
      select.value = 'X';
    });

    await navigating(page, () => page.getByRole('button', { name: 'Lưu', exact: true }).click());
    await expectText(page.locator('main .error-message'), /Đã lưu \d+ học sinh\. 1 học sinh chưa được lưu/);
    // The refused row shows what was typed, in red, with why.
    const badCell = unexcused(badName);
    assert.equal(await badCell.inputValue(), 'abc', 'the typed value is shown again');
    assert.equal(await badCell.getAttribute('aria-invalid'), 'true');
    const border = await badCell.evaluate((el) => getComputedStyle(el).borderTopColor);
    assert.match(border, /^rgb\((\d+), (\d+), (\d+)\)$/);
    const [r, g, b] = border.match(/\d+/g).map(Number);
    assert.ok(r > 150 && g < 100 && b < 100, `the cell's border is red (${border})`);
    const notes = await bad.locator('td.notes').innerText();
    assert.match(notes, /^Chưa lưu dòng này\./, notes);
    assert.ok(notes.includes(`Nghỉ không phép: ${BAD_DAYS}`), notes);
    assert.ok(notes.includes(`Rèn luyện HK I: ${BAD_CONDUCT}`), notes);
    assert.equal(await conduct(badName, 'I').getAttribute('aria-invalid'), 'true', 'the unknown conduct is marked');
    await shot('summary-entry-invalid');

    // After a reload: the valid row holds the new values; the refused row holds exactly
    // what it held before (its valid conduct change was not saved either).
    await page.goto(url);
    assert.equal(await conduct(goodName, 'I').inputValue(), newConduct.value, `${goodName}: HK I conduct saved`);
    assert.equal(await excused(goodName).inputValue(), newExcused, `${goodName}: excused days saved`);
    assert.equal(await conduct(badName, 'I').inputValue(), badBefore.hk1, `${badName}: HK I conduct unchanged`);
    assert.equal(await conduct(badName, 'II').inputValue(), badBefore.hk2, `${badName}: HK II conduct unchanged`);
    assert.equal(await excused(badName).inputValue(), badBefore.excused, `${badName}: excused days unchanged`);
    assert.equal(await unexcused(badName).inputValue(), badBefore.unexcused, `${badName}: unexcused days unchanged`);
    assert.equal(await unexcused(badName).getAttribute('aria-invalid'), null, 'no red cell after the reload');
    await shot('summary-entry-saved');

    // The change is in the student's "Lịch sử thay đổi": who, what, old → new.
    await navigating(page, () => good.getByRole('link', { name: 'Lịch sử' }).click());
    const entry = page.locator('table.history tbody tr', { hasText: 'Kết quả rèn luyện' }).first();
    const cells = (await entry.locator('td').allInnerTexts()).map((s) => s.trim());
    assert.match(cells[1], /\(gvcn1\.0202\)$/, `who: ${cells[1]}`);
    assert.match(cells[3], /Kết quả rèn luyện/, `what: ${cells[3]}`);
    assert.equal(cells[5], newConduct.label, `new value: ${JSON.stringify(cells)}`);
  }),
];
