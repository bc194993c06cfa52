// Story 14 (the log): after the Ngữ văn teacher changes a score, the student's "Lịch sử
// thay đổi" — opened by the homeroom teacher from "Tổng hợp kết quả" and by the principal
// — shows when, who, what and the old → new value.
//
// Works on the 13th student of 6A1 (the other walk-throughs on 6A1 use rows 1–4, 11, 12,
// 14, 15 and the last).

import { USERS, assert, expectText, login, navigating, pathOf, readGridRow, storedForm, walk } from '../helpers.mjs';

export default [
  walk('a score change shows in "Lịch sử thay đổi" with who, what and old → new', async (t) => {
    const { page, shot } = t;
    await login(page, USERS.subjectTeacher);
    await page.goto('/scores');
    const row6A1 = page.locator('main table.list tbody tr', { has: page.locator('td', { hasText: /^6A1$/ }) });
    await navigating(page, () => row6A1.getByRole('link', { name: 'Học kì II', exact: true }).click());
    const row = page.locator('#grid tbody tr').nth(12);
    const student = await readGridRow(row);
    const midterm = student.cells.find((c) => c.name.startsWith('gk_'));
    const before = midterm.value;
    assert.notEqual(before, '', `${student.name} has an HK II mid-term score`);
    const after = before === '7,5' ? '8' : '7,5';
    await page.locator(`input[name="${midterm.name}"]`).fill(after);
    await navigating(page, () => page.getByRole('button', { name: 'Lưu', exact: true }).click());
    await expectText(page.locator('main'), /Đã lưu điểm của \d+ học sinh/);
    assert.equal(await page.locator(`input[name="${midterm.name}"]`).inputValue(), storedForm(after));

    // The homeroom teacher: "Tổng hợp kết quả" → 6A1 → the student's "Lịch sử".
    const homeroom = await t.newPage();
    await login(homeroom, USERS.homeroom);
    await homeroom.goto('/classes');
    await navigating(homeroom, () => homeroom.getByRole('link', { name: 'Lớp 6A1' }).click());
    await navigating(homeroom, () =>
      homeroom.locator(`table.summary tbody tr[data-student="${student.code}"]`).getByRole('link', { name: 'Lịch sử' }).click(),
    );
    assert.equal(pathOf(homeroom), `/students/${student.code}/history`);
    await expectText(homeroom.locator('h1'), `Lịch sử thay đổi — ${student.name}`);
    const headers = (await homeroom.locator('table.history thead th').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(headers, ['Thời gian', 'Người thực hiện', 'Lớp', 'Nội dung', 'Giá trị cũ', 'Giá trị mới', 'Lý do']);
    const entry = homeroom.locator('table.history tbody tr', { hasText: 'ĐĐGgk' }).filter({ hasText: 'Ngữ văn' });
    assert.equal(await entry.count(), 1, 'one change of the Ngữ văn mid-term');
    const cells = (await entry.locator('td').allInnerTexts()).map((s) => s.trim());
    assert.match(cells[0], /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/, `when: ${cells[0]}`);
    assert.match(cells[1], /\(gv\.nguvan\.0202\)$/, `who: ${cells[1]}`);
    assert.match(cells[2], /^6A1/, `class: ${cells[2]}`);
    assert.match(cells[3], /Ngữ văn.*HK II.*ĐĐGgk/, `what: ${cells[3]}`);
    assert.deepEqual([cells[4], cells[5]], [before, storedForm(after)], 'old → new');
    await shot('history-score-change', homeroom);

    // The principal sees the same entry.
    const principal = await t.newPage();
    await login(principal, USERS.principal);
    await principal.goto(`/students/${student.code}/history`);
    const seen = principal.locator('table.history tbody tr', { hasText: 'ĐĐGgk' }).filter({ hasText: 'Ngữ văn' });
    assert.equal(await seen.count(), 1, 'the principal sees the change');
  }),
];
