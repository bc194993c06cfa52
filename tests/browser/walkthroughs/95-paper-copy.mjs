// Story 17: the clerk prints the paper copy ("In bản sao giấy") of a sealed record of 7A1:
// a PDF download (application/pdf, starting with %PDF-), logged in the student's history.
//
// Needs a sealed record: continues from 80-batch-sign (this prints the last sealed one),
// or signs and seals 7A1 itself when run alone.

import fs from 'node:fs';

import { USERS, assert, expectText, login, navigating, pathOf, walk } from '../helpers.mjs';
import { ensureSealed, isSealed, openClassRecordsFromDashboard, recordRows, versionRows } from '../workflow.mjs';

export default [
  walk('clerk "In bản sao giấy" of a sealed record: a PDF download', async (t) => {
    const { page, shot } = t;
    await ensureSealed(t);
    await login(page, USERS.clerk);
    const classId = await openClassRecordsFromDashboard(page);
    const sealed = (await recordRows(page)).filter((r) => isSealed(r.state));
    assert.ok(sealed.length >= 1, 'a sealed record to print');
    const target = sealed[sealed.length - 1];
    await navigating(page, () =>
      page.locator(`main table.list tbody tr[data-student="${target.code}"]`).getByRole('link', { name: 'Các phiên bản' }).click(),
    );
    assert.equal(pathOf(page), `/students/${target.code}/records`);
    const versions = await versionRows(page);
    assert.ok(isSealed(versions[0].state), `sealed: ${versions[0].state}`);
    assert.ok(!versions[0].links.includes('Mở khóa'), 'the clerk cannot unlock');
    const link = page.locator('main tr[data-version="1"]').getByRole('link', { name: 'In bản sao giấy' });
    await shot('paper-copy-link');

    // What the server sends for the link: a PDF, not to be cached.
    const href = await link.getAttribute('href');
    const res = await page.request.get(href);
    assert.equal(res.status(), 200, `GET ${href}`);
    assert.equal(res.headers()['content-type'], 'application/pdf');
    assert.equal(res.headers()['cache-control'], 'no-store');
    assert.match(res.headers()['content-disposition'], new RegExp(`^attachment; filename="hocba-${target.code}-v1\\.pdf"$`));
    const body = await res.body();
    assert.equal(body.subarray(0, 5).toString('latin1'), '%PDF-', 'the body starts with %PDF-');
    assert.match(body.subarray(-1024).toString('latin1'), /%%EOF\s*$/, 'the PDF ends with %%EOF');
    assert.ok(body.length > 10_000, `a full document with its fonts (${body.length} bytes)`);

    // Clicking the link downloads the same kind of file in the browser.
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), `hocba-${target.code}-v1.pdf`);
    const saved = fs.readFileSync(await download.path());
    assert.equal(saved.subarray(0, 5).toString('latin1'), '%PDF-', 'the downloaded file starts with %PDF-');
    assert.equal(pathOf(page), `/students/${target.code}/records`, 'the page stays where it was');

    // A record that is not sealed has no paper copy.
    await page.goto(`/classes/${classId}/records`);
    // (A student reopened by "Mở khóa" would still have a printable signed version 1.)
    const unsealed = (await recordRows(page)).find((r) => r.version === '1' && !isSealed(r.state));
    if (unsealed) {
      const other = await page.request.get(`/students/${unsealed.code}/records`);
      assert.equal(other.status(), 200);
      assert.ok(!(await other.text()).includes('In bản sao giấy'), `no "In bản sao giấy" for ${unsealed.name} (${unsealed.state})`);
    }

    // Every print is in the log: the principal sees it in "Lịch sử thay đổi".
    const principal = await t.newPage();
    await login(principal, USERS.principal);
    await principal.goto(`/students/${target.code}/history`);
    await expectText(principal.locator('table.history tbody'), `(${USERS.clerk})`);
  }),
];
