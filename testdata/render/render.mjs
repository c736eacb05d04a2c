// Renders trustcheck's output in Debian's Chromium (never a downloaded
// browser), for lint's browser tests:
//
//   node render.mjs mermaid SCREENSHOT.png|- FILE.md...
//     renders every ```mermaid block of the files with the real mermaid
//     package; prints {"diagrams": N, "errors": [...]} (the screenshot is
//     of the first file's diagrams)
//   node render.mjs report FILE.html [SCREENSHOT.png] [DIAGRAM.png]
//     opens the HTML report; prints what it saw: console errors, requests
//     other than the file itself, and the findings shown before and after
//     each filter.
//
// CHROMIUM overrides /usr/bin/chromium.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const [mode, ...args] = process.argv.slice(2);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
});

try {
  const page = await browser.newPage();
  const consoleErrors = [];
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("request", (r) => requests.push(r.url()));
  if (mode === "mermaid") {
    const [shot, ...files] = args;
    const out = { diagrams: 0, errors: [] };
    for (let i = 0; i < files.length; i++) {
      const r = await renderMermaid(page, files[i], i === 0 && shot !== "-" ? shot : "");
      out.diagrams += r.diagrams;
      out.errors.push(...r.errors.map((e) => files[i] + ": " + e));
    }
    out.consoleErrors = consoleErrors;
    out.requests = requests.filter((r) => !r.startsWith("about:"));
    console.log(JSON.stringify(out));
  } else if (mode === "report") {
    const [file, shot, shot2] = args;
    console.log(JSON.stringify(await driveReport(page, file, shot, shot2, consoleErrors, requests)));
  } else {
    throw new Error("usage: render.mjs mermaid|report FILE [PNG]");
  }
} finally {
  await browser.close();
}

async function renderMermaid(page, file, shot) {
  const blocks = [...readFileSync(file, "utf8").matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  await page.setViewport({ width: 1400, height: 900 });
  if (!(await page.$("#out"))) {
    await page.setContent("<!DOCTYPE html><html><body style=\"margin:0;background:#fff\"><div id=\"out\"></div></body></html>");
    await page.addScriptTag({ path: require.resolve("mermaid/dist/mermaid.min.js") });
  }
  const result = await page.evaluate(async (blocks) => {
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    const errors = [];
    const out = document.getElementById("out");
    out.textContent = "";
    for (let i = 0; i < blocks.length; i++) {
      try {
        await mermaid.parse(blocks[i]);
        const { svg } = await mermaid.render("d" + (window.__diagrams = (window.__diagrams || 0) + 1), blocks[i]);
        const div = document.createElement("div");
        div.innerHTML = svg;
        out.appendChild(div);
        // mermaid draws a syntax error as a diagram: it must not have.
        if (svg.includes("Syntax error")) errors.push("diagram " + i + ": rendered as a syntax error");
      } catch (e) {
        errors.push("diagram " + i + ": " + (e && e.message ? e.message : String(e)));
      }
    }
    return { diagrams: blocks.length, errors, messages: document.querySelectorAll("#out .messageText").length };
  }, blocks);
  if (shot) {
    const el = await page.$("#out");
    await el.screenshot({ path: shot });
  }
  return result;
}

async function driveReport(page, file, shot, shot2, consoleErrors, requests) {
  const url = pathToFileURL(file).href;
  await page.setViewport({ width: 1300, height: 900 });
  await page.goto(url, { waitUntil: "load" });
  const count = () => page.$$eval("#findings .card", (c) => c.length);
  const stats = () => page.$eval("#stats", (e) => e.textContent);
  const seen = { all: { cards: await count(), stats: await stats() } };
  // How long the page took to open, parse its data and show its first page.
  seen.loadMs = await page.evaluate(() => Math.round(performance.getEntriesByType("navigation")[0].loadEventEnd));
  const select = async (id, index) => {
    const value = await page.$eval(id, (s, i) => s.options[i] ? s.options[i].value : "", index);
    await page.select(id, value);
    return value;
  };
  // Open the first diagram: the SVG is put in only now.
  seen.svgBefore = await page.$$eval("svg.seq", (s) => s.length);
  const det = await page.$("#findings details.diagram");
  if (det) {
    await page.$eval("#findings details.diagram summary", (s) => s.click());
    await page.waitForSelector("#findings svg.seq");
  }
  seen.svgAfter = await page.$$eval("svg.seq", (s) => s.length);
  if (shot) await page.screenshot({ path: shot, fullPage: false });
  if (shot2 && det) {
    const box = await page.$("#findings .diagram-box");
    await box.screenshot({ path: shot2 });
  }
  // Each filter on its own, then back to all.
  for (const [id, index] of [["#f-severity", 2], ["#f-rule", 2], ["#f-app", 1]]) {
    const v = await select(id, index);
    seen[id.slice(3) + "=" + v] = { cards: await count(), stats: await stats() };
    await select(id, 0);
  }
  await page.type("#f-file", "no-such-file-anywhere");
  seen["file=no-such-file-anywhere"] = { cards: await count(), stats: await stats() };
  await page.$eval("#f-file", (e) => { e.value = ""; e.dispatchEvent(new Event("input")); });
  const pages = await page.$eval("#pager-top span", (e) => e.textContent);
  seen.pager = pages;
  if (await page.$eval("#pager-top button:last-child", (b) => !b.disabled)) {
    await page.click("#pager-top button:last-child");
    seen.page2 = await stats();
  }
  return { seen, consoleErrors, requests: requests.filter((r) => r !== url) };
}
