// The desktop app end to end, in its real WebKitGTK window (see scripts/e2e.sh): create a
// passphrase vault, load the sample leads, search, open a lead, change its status, tick three
// leads from the keyboard and change their status and owner together, export the view and
// check the file's rows, import Meta's download, then restart and unlock (a wrong passphrase first), and
// connect: Meta through its login dialog in the app's own window, HubSpot with a pasted token
// (both against the local fakes), sync Meta's leads into the inbox, test, disconnect; demo
// mode on and off; a new passphrase in Settings, which alone opens the vault after a restart.
import { readFileSync, existsSync } from "node:fs";
import assert from "node:assert/strict";
import { remote } from "webdriverio";

const PASSPHRASE = "correct horse battery staple";
const NEW_PASSPHRASE = "a brand new passphrase 2026";
const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set: run scripts/e2e.sh`);
  return process.env[k];
};

async function open() {
  return remote({
    hostname: "127.0.0.1",
    port: Number(env("E2E_PORT")),
    logLevel: "error",
    connectionRetryCount: 1,
    capabilities: {
      "tauri:options": { application: env("E2E_APP") },
      "wdio:enforceWebDriverClassic": true,
    },
  });
}

// textContent, not getText: WebDriver's "visible text" of a virtualised row can read as empty.
async function text(b, selector) {
  return textOf(await b.$(selector));
}

async function textOf(el) {
  return ((await el.getProperty("textContent")) ?? "").trim();
}

/** The texts of every element matching `selector`, read in one go inside the page (the
 * virtualised list re-renders between separate WebDriver calls). */
async function texts(b, selector) {
  return b.execute((sel) => Array.from(document.querySelectorAll(sel)).map((e) => (e.textContent || "").trim()), selector);
}

/** On the unlock screen: `wrong` is refused with a message, `right` opens the inbox. */
async function unlockAfterARefusal(b, wrong, right) {
  await b.$("h1=Unlock your vault").waitForDisplayed({ timeout: 30000 });
  await b.$("input[name=passphrase]").setValue(wrong);
  await b.$("button=Unlock").click();
  const alert = b.$("[role=alert]");
  await alert.waitForDisplayed({ timeout: 30000 });
  assert.match(await textOf(alert), /key does not match/);
  await b.$("input[name=passphrase]").setValue(right);
  await b.$("button=Unlock").click();
  await b.waitUntil(async () => (await b.$$(".row[data-lead-id]")).length > 0, { timeout: 30000 });
}

/** Saves a screenshot of the window. WebKitWebDriver's waits for the page's next paint, and a
 *  page with nothing changing never paints: seen to hang 120 s and fail the e2e (the ticked rows,
 *  the first-run screen). A change of nothing visible a moment later paints one. */
async function screenshot(b, path) {
  await b.execute(() =>
    setTimeout(() => {
      document.body.style.opacity = "0.999";
      requestAnimationFrame(() => requestAnimationFrame(() => (document.body.style.opacity = "")));
    }, 200),
  );
  await b.saveScreenshot(path);
}

function step(name) {
  console.log(`e2e: ${name}`);
}

/** RFC 4180 rows, enough for the export's quoting. */
function parseCsv(s) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && s[i + 1] === "\n") i++;
      row.push(cell); rows.push(row); row = []; cell = "";
    } else cell += c;
  }
  if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

let b = await open();
try {
  step("first run: create a passphrase vault");
  await b.$("h1=Welcome to Leadvault").waitForDisplayed({ timeout: 30000 });
  await b.$("input[name=new-passphrase]").setValue(PASSPHRASE);
  await b.$("input[name=confirm-passphrase]").setValue(PASSPHRASE);
  await b.$("button=Create vault with passphrase").click();

  step("load the sample leads");
  await b.$("button=Load sample leads").waitForDisplayed({ timeout: 30000 });
  await b.$("button=Load sample leads").click();
  await b.$(".notice*=Loaded 200 sample leads").waitForDisplayed({ timeout: 30000 });
  await b.waitUntil(async () => (await b.$$(".row[data-lead-id]")).length > 5, { timeout: 10000 });
  const allCount = Number(await text(b, ".statuses button:first-child .count"));
  assert.equal(allCount, 200, "the status bar counts every sample lead");
  await screenshot(b, env("E2E_SCREENSHOT"));
  assert.ok(existsSync(env("E2E_SCREENSHOT")), "the inbox screenshot was written");

  step("search while typing");
  const firstName = (await text(b, ".row[data-lead-id] .name")).split(" ")[0];
  await b.$("input[name=search]").setValue(firstName);
  await b.waitUntil(
    async () => {
      const names = await texts(b, ".row[data-lead-id] .name");
      return names.length > 0 && names.every((n) => n.toLowerCase().includes(firstName.toLowerCase()));
    },
    { timeout: 10000, timeoutMsg: "the list did not narrow to the search" },
  );
  const searchedTotal = Number(await text(b, ".statuses button:first-child .count"));
  assert.ok(searchedTotal > 0 && searchedTotal < 200, `the search narrows the counts (${searchedTotal})`);

  step("open a lead and change its status");
  const row = b.$(".row[data-lead-id]");
  const leadId = await row.getAttribute("data-lead-id");
  const rowName = await textOf(await row.$(".name"));
  await row.click();
  await b.$("[data-testid=detail-name]").waitForDisplayed({ timeout: 10000 });
  assert.equal(await text(b, "[data-testid=detail-name]"), rowName);
  await b.$("select[name=status]").selectByAttribute("value", "lost");
  await b.waitUntil(async () => (await text(b, `.row[data-lead-id="${leadId}"] .status`)) === "lost", {
    timeout: 10000,
    timeoutMsg: "the row did not show the new status",
  });
  await b.waitUntil(async () => (await text(b, ".timeline")).includes("status"), { timeout: 10000 });

  step("tick leads from the keyboard: x, Shift+J, Shift+K; Esc clears the ticks");
  assert.ok(searchedTotal >= 4, `the search shows at least 4 leads to tick (${searchedTotal})`);
  // The pane's status drop-down keeps the first Esc (it leaves the field); the next closes the lead.
  if (await b.execute(() => document.activeElement instanceof HTMLSelectElement)) await b.keys("Escape");
  await b.keys("Escape");
  await b.$("[data-testid=detail-name]").waitForExist({ reverse: true, timeout: 10000, timeoutMsg: "Esc did not close the lead" });
  /** The rows on screen, read in one go: their ids in order, those that say aria-selected, each one's status and owner cell. */
  const rowState = () =>
    b.execute(() => {
      const rows = Array.from(document.querySelectorAll(".row[data-lead-id]"));
      return {
        ids: rows.map((r) => r.getAttribute("data-lead-id")),
        ticked: rows.filter((r) => r.getAttribute("aria-selected") === "true").map((r) => r.getAttribute("data-lead-id")),
        status: Object.fromEntries(rows.map((r) => [r.getAttribute("data-lead-id"), (r.querySelector(".status")?.textContent ?? "").trim()])),
        owner: Object.fromEntries(rows.map((r) => [r.getAttribute("data-lead-id"), (r.querySelector(".owner")?.textContent ?? "").trim()])),
      };
    });
  const bulkCount = async () => ((await b.$(".bulk").isExisting()) ? text(b, ".bulk strong") : null);
  /** Waits until exactly the leads `ids` are ticked (and the bulk bar counts them, or is gone). */
  const tickedAre = async (ids, what) => {
    const want = [...ids].sort().join(" ");
    await b
      .waitUntil(
        async () =>
          [...(await rowState()).ticked].sort().join(" ") === want &&
          (await bulkCount()) === (ids.length > 0 ? `${ids.length} selected` : null),
        { timeout: 10000 },
      )
      .catch(async () => {
        const now = await rowState();
        throw new Error(`${what}: rows ${now.ticked.map((id) => now.ids.indexOf(id))} say aria-selected (want ${ids.map((id) => now.ids.indexOf(id))}), the bulk bar says ${await bulkCount()}`);
      });
  };
  // The cursor is back on the lead just closed (the first row): j goes to the second, x ticks
  // it, and Shift+J twice ticks on to the fourth.
  const before = await rowState();
  assert.equal(before.ids[0], leadId, "the cursor's lead is the first row");
  const picks = before.ids.slice(1, 4);
  await b.keys("j");
  await b.keys("x");
  await tickedAre(picks.slice(0, 1), "x ticks the cursor's lead");
  await b.keys(["Shift", "j"]);
  await b.keys(["Shift", "j"]);
  await tickedAre(picks, "Shift+J ticks from the anchor to the cursor");
  await b.keys("Escape");
  await tickedAre([], "Esc with no lead open clears the ticks");
  // Ticked again going up: the range starts at the cursor (the fourth row) once the ticks were cleared.
  await b.keys(["Shift", "k"]);
  await b.keys(["Shift", "k"]);
  await tickedAre(picks, "Shift+K ticks from the cursor upwards");
  // Beside inbox.png, for a look at the ticked rows and the bulk bar.
  await screenshot(b, env("E2E_SCREENSHOT").replace(/inbox\.png$/, "ticked.png"));

  step("bulk change: the ticked leads' status, then their owner");
  // A status none of them has: each of the three moves to it.
  const target = ["qualified", "contacted", "won", "new"].find((s) => picks.every((id) => before.status[id] !== s));
  const countsOf = async () =>
    b.execute(() =>
      Object.fromEntries(
        Array.from(document.querySelectorAll(".statuses button[data-status]")).map((e) => [
          e.getAttribute("data-status"),
          Number((e.querySelector(".count")?.textContent ?? "").replace(/\D/g, "")),
        ]),
      ),
    );
  const countsBefore = await countsOf();
  const countsWant = { ...countsBefore };
  for (const id of picks) countsWant[before.status[id]] -= 1;
  countsWant[target] += picks.length;
  await b.$("select[aria-label='Set status']").selectByAttribute("value", target);
  await b.$(".notice*=Updated 3 leads.").waitForDisplayed({ timeout: 30000 });
  await tickedAre([], "the ticks go with the change");
  await b.waitUntil(
    async () => {
      const now = await rowState();
      return picks.every((id) => now.status[id] === target);
    },
    { timeout: 10000, timeoutMsg: `the ticked rows did not show the status ${target}` },
  );
  await b
    .waitUntil(async () => JSON.stringify(await countsOf()) === JSON.stringify(countsWant), { timeout: 10000 })
    .catch(async () => {
      throw new Error(`the status counts did not move ${picks.length} leads to ${target}: ${JSON.stringify(await countsOf())}, want ${JSON.stringify(countsWant)}`);
    });
  assert.equal(Number(await text(b, ".statuses button:first-child .count")), searchedTotal, "a status change keeps the view's total");
  const afterStatus = await rowState();
  const others = afterStatus.ids.filter((id) => !picks.includes(id));
  assert.ok(others.every((id) => afterStatus.status[id] === before.status[id]), "the unticked rows kept their status");
  // The same three ticked again (the cursor is still on the second row), once the list is not loading.
  await b.$(".list[aria-busy=false]").waitForExist({ timeout: 10000 });
  await b.keys("x");
  await b.keys(["Shift", "j"]);
  await b.keys(["Shift", "j"]);
  await tickedAre(picks, "the leads ticked again for the owner");
  const OWNER = "Priya Shah";
  await b.$("input[aria-label='New owner']").setValue(OWNER);
  await b.$("button=Set owner").click();
  await b.waitUntil(
    async () => {
      const now = await rowState();
      return now.ticked.length === 0 && picks.every((id) => now.owner[id] === OWNER);
    },
    { timeout: 10000, timeoutMsg: "the ticked rows did not show their new owner" },
  );
  const untouched = await rowState();
  assert.ok(others.every((id) => untouched.owner[id] === before.owner[id]), "only the ticked leads have the new owner");

  step("bulk change: the vault has it (a ticked lead's timeline shows both changes)");
  const changed = picks[1];
  const ownerEvent = before.owner[changed] ? `Changed owner: ${before.owner[changed]} → ${OWNER}` : `Set owner: ${OWNER}`;
  await b.$(`.row[data-lead-id="${changed}"]`).click();
  await b.$("[data-testid=detail-name]").waitForDisplayed({ timeout: 10000 });
  await b
    .waitUntil(
      async () => {
        const timeline = await text(b, ".timeline");
        return timeline.includes(`Changed status: ${before.status[changed]} → ${target}`) && timeline.includes(ownerEvent);
      },
      { timeout: 10000 },
    )
    .catch(async () => {
      throw new Error(`the timeline does not show the bulk changes: ${await text(b, ".timeline")}`);
    });
  assert.equal(await b.$("select[name=status]").getValue(), target, "the open lead's status is the new one");
  await b.keys("Escape");
  await b.$("[data-testid=detail-name]").waitForExist({ reverse: true, timeout: 10000 });

  step("export the view (search + status lost)");
  await b.$("button[data-status=lost]").click();
  await b.waitUntil(async () => (await texts(b, ".row[data-lead-id] .status")).length > 0, { timeout: 10000 });
  await b.waitUntil(
    async () => (await texts(b, ".row[data-lead-id] .status")).every((s) => s === "lost"),
    { timeout: 10000 },
  );
  const shown = Number(await text(b, "button[data-status=lost] .count"));
  await b.$("button=Export view").click();
  const msg = b.$("[data-testid=exported]");
  await msg.waitForDisplayed({ timeout: 30000 });
  assert.match(await textOf(msg), new RegExp(`^Exported ${shown} lead`));
  const rows = parseCsv(readFileSync(env("LEADVAULT_E2E_EXPORT_PATH"), "utf8"));
  const [header, ...data] = rows.filter((r) => r.length > 1);
  assert.equal(data.length, shown, "the file holds exactly the leads of the view");
  const col = (name) => header.indexOf(name);
  assert.ok(data.every((r) => r[col("status")] === "lost"), "every exported lead has the view's status");
  assert.ok(data.every((r) => r[col("full_name")].toLowerCase().includes(firstName.toLowerCase())), "every exported lead matches the search");
  assert.ok(data.some((r) => r[col("id")] === leadId), "the lead changed in the window is in the export");
  assert.ok(data.every((r) => r[col("source")] === "sample"), "samples are marked as such");

  step("import Meta's download (UTF-16, tabs) from the window");
  await b.$(".statuses button:first-child").click();
  // Emptied as a person does: WebDriver's clear does not reach React's onChange.
  await b.$("input[name=search]").click();
  await b.keys(["Control", "a"]);
  await b.keys("Backspace");
  await b.waitUntil(async () => Number(await text(b, ".statuses button:first-child .count")) === 200, { timeout: 10000 });
  await b.$("button=Import…").click();
  const imported = b.$(".notice*=Imported 3 new leads from meta_leads_utf16.csv");
  await imported.waitForDisplayed({ timeout: 30000 });
  await b.waitUntil(async () => Number(await text(b, ".statuses button:first-child .count")) === 203, {
    timeout: 10000,
    timeoutMsg: "the counts did not take in the imported leads",
  });
  await b.$("input[name=search]").setValue("stone");
  await b.waitUntil(async () => (await texts(b, ".row[data-lead-id] .name")).includes("Bob Stone"), {
    timeout: 10000,
    timeoutMsg: "the imported lead was not found by search",
  });
  await b.$("button=Import…").click();
  await b.$(".notice*=Nothing new in meta_leads_utf16.csv: its 3 leads are already in the vault").waitForDisplayed({ timeout: 30000 });
} finally {
  await b.deleteSession().catch(() => undefined);
}

b = await open();
try {
  step("restart: a wrong passphrase is refused, the right one opens the same vault");
  await unlockAfterARefusal(b, "not the passphrase", PASSPHRASE);
  assert.equal(Number(await text(b, ".statuses button:first-child .count")), 203, "the same 203 leads are there");
  assert.equal(Number(await text(b, "button[data-status=lost] .count")) >= 1, true);

  step("connections: sign in to Meta in the app's own window");
  await b.$("button=Connections").click();
  await b.$("h2=Connections").waitForDisplayed({ timeout: 10000 });
  await b.$("select[aria-label=Provider]").selectByAttribute("value", "meta");
  await b.$("button=Sign in with Meta").click();
  const connected = (name) => async () =>
    (await texts(b, "[data-testid=connection]")).some((t) => t.includes(name) && t.includes("Connected"));
  await b.waitUntil(connected("Meta"), {
    timeout: 30000,
    timeoutMsg: "the Meta sign-in window did not bring back a connection",
  });
  assert.match(await texts(b, "[role=status]").then((t) => t.join(" ")), /Connected Meta/);

  step("connections: Meta syncs by itself once connected; the new leads are announced and reach the inbox");
  const arrivals = b.$("[data-testid=arrivals]");
  await arrivals.waitForDisplayed({ timeout: 60000, timeoutMsg: "the background sync announced no new leads" });
  const announced = await textOf(arrivals);
  const arrived = Number(/^(\d+) new leads? from /.exec(announced)?.[1]);
  assert.ok(arrived > 0, `Meta leads arrived: ${announced}`);
  await b.waitUntil(
    async () => Number(await text(b, ".statuses button:first-child .count")) === 203 + arrived,
    { timeout: 10000, timeoutMsg: "the inbox did not count the synced leads" },
  );

  step("connections: Sync now on Meta finds nothing new; the leads are there once");
  let meta;
  for (const c of await b.$$("[data-testid=connection]")) {
    if ((await textOf(c)).includes("Meta")) meta = c;
  }
  await b.waitUntil(async () => /Last synced/.test(await textOf(meta)), { timeout: 30000, timeoutMsg: "no last sync shown" });
  await meta.$("button=Sync now").click();
  await b.waitUntil(async () => (await texts(b, "[role=status]")).some((t) => /^Synced /.test(t)), {
    timeout: 60000,
    timeoutMsg: "the Meta sync did not finish",
  });
  const synced = (await texts(b, "[role=status]")).find((t) => /^Synced /.test(t));
  assert.match(synced, /: 0 new leads, \d+ already in the vault/);
  assert.equal(Number(await text(b, ".statuses button:first-child .count")), 203 + arrived, "nothing doubled");

  step("connections: paste a HubSpot private-app token, test it, disconnect");
  await b.$("select[aria-label=Provider]").selectByAttribute("value", "hubspot");
  await b.$("input[name=token]").setValue(env("E2E_HUBSPOT_TOKEN"));
  await b.$("button=Connect with this token").click();
  await b.waitUntil(connected("HubSpot"), { timeout: 30000, timeoutMsg: "the pasted token did not connect" });
  let hubspot;
  for (const c of await b.$$("[data-testid=connection]")) {
    if ((await textOf(c)).includes("HubSpot")) hubspot = c;
  }
  assert.ok(hubspot, "the HubSpot connection is listed");
  await hubspot.$("button=Test").click();
  await b.waitUntil(async () => (await texts(b, "[role=status]")).some((t) => /is working/.test(t)), { timeout: 30000 });
  await hubspot.$("button=Disconnect").click();
  await b.waitUntil(async () => (await texts(b, "[role=status]")).some((t) => /^Disconnected/.test(t)), { timeout: 30000 });
  await b.waitUntil(async () => (await texts(b, "[data-testid=connection]")).length === 1, {
    timeout: 30000,
    timeoutMsg: `only the Meta connection is left: ${await texts(b, "[data-testid=connection]")}`,
  });
  await b.$("button[aria-label='Close connections']").click();
  const ours = Number(await text(b, ".statuses button:first-child .count"));

  step("demo mode: switched on, the simulated providers' leads flow into a vault of its own");
  await b.$("[role=switch][aria-label='Demo mode']").click();
  await b.$(".demo-banner").waitForDisplayed({ timeout: 60000, timeoutMsg: "demo mode did not start" });
  await b.waitUntil(async () => Number(await text(b, ".statuses button:first-child .count")) >= 400, {
    timeout: 120000,
    timeoutMsg: "the demo's 400 simulated leads did not arrive",
  });

  step("demo mode: switched off, the real vault is back as it was (after its passphrase)");
  await b.$("[role=switch][aria-label='Demo mode']").click();
  await b.$("h1=Unlock your vault").waitForDisplayed({ timeout: 30000 });
  await b.$("input[name=passphrase]").setValue(PASSPHRASE);
  await b.$("button=Unlock").click();
  await b.waitUntil(async () => Number(await text(b, ".statuses button:first-child .count")) === ours, {
    timeout: 30000,
    timeoutMsg: "the real vault did not come back with its own leads",
  });
  assert.equal(await b.$(".demo-banner").isExisting(), false);

  step("settings: a new passphrase, only with the current one typed");
  await b.$("button=Settings").click();
  await b.$("dd=derived from your passphrase").waitForDisplayed({ timeout: 30000 });
  await b.$("input[name=rekey-passphrase]").setValue(NEW_PASSPHRASE);
  await b.$("input[name=rekey-confirm]").setValue(NEW_PASSPHRASE);
  assert.equal(await b.$("button=Use this passphrase").isEnabled(), false, "not without the current passphrase");
  await b.$("input[name=current-passphrase]").setValue("not the passphrase");
  await b.$("button=Use this passphrase").click();
  await b.waitUntil(async () => (await texts(b, "[role=dialog] [role=status]")).some((t) => /not this vault's passphrase/.test(t)), {
    timeout: 30000,
    timeoutMsg: "a wrong current passphrase was not refused",
  });
  await b.$("input[name=current-passphrase]").setValue(PASSPHRASE);
  await b.$("button=Use this passphrase").click();
  await b.waitUntil(async () => (await texts(b, "[role=dialog] [role=status]")).some((t) => /now encrypted with the new key/.test(t)), {
    timeout: 60000,
    timeoutMsg: "the key change did not finish",
  });
  await b.keys("Escape");
  await b.$("[role=dialog]").waitForExist({ reverse: true, timeout: 10000 });
} finally {
  await b.deleteSession().catch(() => undefined);
}

b = await open();
try {
  step("restart: the old passphrase no longer opens the vault, the new one does");
  await unlockAfterARefusal(b, PASSPHRASE, NEW_PASSPHRASE);
} finally {
  await b.deleteSession().catch(() => undefined);
}
console.log("e2e: all steps passed");
