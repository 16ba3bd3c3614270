// What a user does in the VS Code page, as playwright-core calls: keyboard shortcuts, the command palette,
// quick open, pane headers, the editor gutter and hovers. Assertions read what the page shows
// (innerText), never VS Code's internals, so a pass means a person would have seen the same.
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';

export const RUN_AND_DEBUG_VIEWS = ['IDT', 'SSDT', 'TSS', 'Kernel Stack', 'GDT', 'MSRs'] as const;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class WorkbenchDriver {
  constructor(readonly page: Page, private readonly screenshotFolder: string) {}

  async screenshot(name: string): Promise<string> {
    const file = join(this.screenshotFolder, `${name}.png`);
    await this.page.screenshot({ path: file, timeout: 15_000 });
    return file;
  }

  async pageText(): Promise<string> {
    return this.page.locator('.monaco-workbench').innerText({ timeout: 10_000 });
  }

  /** Polls the page text until `pattern` shows up; throws with what the page showed instead. */
  async waitForText(pattern: RegExp, timeoutMs: number, scope?: Locator): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    for (;;) {
      text = await (scope ?? this.page.locator('.monaco-workbench')).innerText({ timeout: 10_000 }).catch(() => '');
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`${pattern} did not appear within ${timeoutMs} ms; the ${scope ? 'pane' : 'page'} showed:\n${text.slice(0, 3000)}`);
      await this.page.waitForTimeout(250);
    }
  }

  /** Dismisses whatever has focus-stealing UI up (quick input, hovers, notifications). */
  async escape(times = 1): Promise<void> {
    for (let i = 0; i < times; i++) await this.page.keyboard.press('Escape');
  }

  /** F1, type the command's title, run it. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await this.page.keyboard.press('Enter');
  }

  /** Quick open (Ctrl+P) a workspace-relative path; waits for its editor tab. */
  async openFile(relativePath: string): Promise<void> {
    const fileName = relativePath.split('/').pop()!;
    // Already open: its tab is one click away (quick open's Enter can race its own filtering when the
    // file is also in the recently-opened list, and Ctrl+P does nothing while a view's tooltip has focus).
    const openTab = this.page.locator('.tabs-container .tab', { hasText: fileName }).first();
    if ((await openTab.count()) > 0) {
      await openTab.click({ timeout: 10_000 });
      await this.activeTab(fileName).waitFor({ state: 'visible', timeout: 15_000 });
      return;
    }
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(relativePath);
    // The first pick whose description is the file's folder: ntdll.asm and ntdll/ stubs share a prefix.
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await this.page.keyboard.press('Enter');
    await this.activeTab(fileName).waitFor({ state: 'visible', timeout: 15_000 });
  }

  activeTab(fileName: string): Locator {
    return this.page.locator('.tabs-container .tab.active', { hasText: fileName });
  }

  /**
   * Ctrl+G to a 1-based line in the active editor; the cursor lands at its start. The status bar shows
   * the new position a moment after the jump, so this waits for it, and goes again if the jump was lost.
   */
  async goToLine(line: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.page.keyboard.press('Control+G');
      const input = this.page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(`:${line}`);
      // The input announces the target once it has read what was typed; an Enter before that is lost.
      await this.page.locator(`.quick-input-widget input[aria-label*="line ${line}" i]`).waitFor({ state: 'visible', timeout: 10_000 }).catch(() => undefined);
      await this.page.keyboard.press('Enter');
      if (!(await input.waitFor({ state: 'hidden', timeout: 3_000 }).then(() => true, () => false))) await this.page.keyboard.press('Escape');
      for (let poll = 0; poll < 20; poll++) {
        if ((await this.cursorLine()) === line) return;
        await this.page.waitForTimeout(150);
      }
    }
  }

  /** The status bar shows `Ln N, Col M` for the active editor's cursor. */
  async cursorLine(): Promise<number> {
    const text = await this.page.locator('.statusbar').innerText({ timeout: 10_000 });
    const match = /Ln (\d+), Col \d+/.exec(text);
    return match ? Number(match[1]) : -1;
  }

  /** The Run and Debug side bar (Ctrl+Shift+D). */
  async showRunAndDebug(): Promise<void> {
    await this.page.keyboard.press('Control+Shift+D');
    await this.page.locator('.part.sidebar .composite.title', { hasText: /run and debug/i }).waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** Titles of the views (panes) in the side bar, as their headers show them. */
  async sideBarViewTitles(): Promise<string[]> {
    const titles = await this.page.locator('.part.sidebar .pane-header .title').allInnerTexts();
    return titles.map((title) => title.trim());
  }

  /** A header's title element, relative to whatever it is looked for in. */
  private titleLocator(title: string): Locator {
    return this.page.locator('.title', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`, 'i') });
  }

  paneHeader(title: string): Locator {
    return this.page.locator('.part.sidebar .pane-header', { has: this.titleLocator(title) }).first();
  }

  /** The whole pane (header and body) of a side bar view. */
  pane(title: string): Locator {
    const header = this.page.locator('.pane-header', { has: this.titleLocator(title) });
    return this.page.locator('.part.sidebar .pane', { has: header }).first();
  }

  /** Contributed views start collapsed: click the header when aria-expanded says so. */
  async expandView(title: string): Promise<Locator> {
    const header = this.paneHeader(title);
    await header.waitFor({ state: 'visible', timeout: 15_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    await this.page.waitForFunction((element) => element?.getAttribute('aria-expanded') === 'true', await header.elementHandle(), { timeout: 10_000 });
    return this.pane(title);
  }

  async collapseView(title: string): Promise<void> {
    const header = this.paneHeader(title);
    if ((await header.count()) === 0) return;
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
  }

  /**
   * Waits until a view's rows show `pattern`, scrolling its (virtualized) list a page at a time from
   * the top: rows outside the viewport are not in the page at all.
   */
  async findInView(title: string, pattern: RegExp, timeoutMs: number): Promise<string> {
    const pane = this.pane(title);
    const body = pane.locator('.pane-body');
    const deadline = Date.now() + timeoutMs;
    let seen = '';
    const remember = (text: string): void => {
      if (!seen.includes(text)) seen += `${text}\n`;
    };
    for (;;) {
      const list = body.locator('.monaco-list').first();
      if ((await list.count()) > 0) {
        // The list is virtualized: only the rows in sight are in the DOM. Walk it with the keyboard
        // from its first row a page at a time, which never skips a row (a wheel step can).
        await list.focus({ timeout: 5_000 }).catch(() => undefined);
        await this.page.keyboard.press('Home');
        await this.page.waitForTimeout(150);
        // The first PageDown only moves the focus to the last row in sight; the list is at its end
        // when two PageDowns in a row leave the text as it was.
        let previous = '';
        let unchanged = 0;
        for (let page = 0; page < 400 && unchanged < 2; page++) {
          const text = await body.innerText({ timeout: 5_000 }).catch(() => '');
          if (pattern.test(text)) return text;
          remember(text);
          unchanged = text === previous ? unchanged + 1 : 0;
          previous = text;
          await this.page.keyboard.press('PageDown');
          await this.page.waitForTimeout(150);
        }
      } else {
        const text = await body.innerText({ timeout: 5_000 }).catch(() => '');
        if (pattern.test(text)) return text;
        remember(text);
      }
      if (Date.now() > deadline) throw new Error(`${title} view never showed ${pattern}; it showed:\n${seen.slice(0, 4000)}`);
      await this.page.waitForTimeout(500);
    }
  }

  /** Scrolls a view's list back to its top (so a screenshot shows its start). */
  async scrollViewToTop(title: string): Promise<void> {
    const list = this.pane(title).locator('.pane-body .monaco-list').first();
    if ((await list.count()) === 0) return;
    await list.hover({ timeout: 5_000 }).catch(() => undefined);
    await this.page.mouse.wheel(0, -100_000);
  }

  /** Scrolls a view's list so the row matching `pattern` is in sight (after findInView saw it). */
  async revealRow(title: string, pattern: RegExp): Promise<Locator> {
    const row = this.pane(title).locator('.monaco-list-row', { hasText: pattern }).first();
    await row.scrollIntoViewIfNeeded({ timeout: 5_000 }).catch(() => undefined);
    return row;
  }

  /** The active editor's line element showing `lineText` (the editor must have it scrolled into view). */
  editorLine(lineText: RegExp): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line', { hasText: lineText }).first();
  }

  /**
   * Rests the mouse on the token `token` of an editor line and returns the text of the hover `widget`
   * (`.debug-hover-widget` or `.monaco-hover`) once it matches `expected`, or what it last showed.
   */
  async hoverToken(line: Locator, token: string, widget: string, expected: RegExp): Promise<string> {
    const tokenSpan = line.locator('span > span', { hasText: new RegExp(`^${escapeRegExp(token)}$`) }).first();
    const hover = this.page.locator(widget).filter({ hasText: /\S/ }).first();
    let hoverText = '';
    // A hover needs the mouse to rest; move away and back if a try showed nothing yet.
    for (let attempt = 0; attempt < 4 && !expected.test(hoverText); attempt++) {
      await this.page.mouse.move(5, 500);
      await tokenSpan.hover({ timeout: 10_000 });
      await hover.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
      hoverText = await hover.innerText({ timeout: 2_000 }).catch(() => '');
    }
    return hoverText;
  }

  /**
   * Waits until a view's list has drawn its rows again after scrolling (the virtualized list renders the
   * rows in sight a frame or two after the wheel stops): the row count is the same twice running.
   */
  async settleView(title: string): Promise<void> {
    const rows = this.pane(title).locator('.pane-body .monaco-list-row');
    let previous = -1;
    for (let attempt = 0; attempt < 20; attempt++) {
      await this.page.waitForTimeout(150);
      const count = await rows.count();
      if (count > 1 && count === previous) return;
      previous = count;
    }
  }
}
