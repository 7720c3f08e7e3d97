/**
 * The app in a real browser: Debian's chromium driven by playwright-core, against anvil, the relay and
 * blob gateway and the built app (scripts/app/stack.ts), with the injected test wallet
 * (test/helpers/test-wallet.ts). Each view is checked with axe-core (no serious or critical violation)
 * and photographed into docs/screenshots/.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type Page } from "playwright-core";
import {
  APP_CHAIN_ID,
  DEMO_PASSPHRASE,
  devWallet,
  ROOT,
  startAppStack,
  type AppStack,
  type DemoMemberName,
} from "../../scripts/app/stack.js";
import { skipUnderCoverage } from "../helpers/coverage.js";
import { TestWallet, type WalletMode } from "../helpers/test-wallet.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = path.join(ROOT, "docs/screenshots");
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const LABS = 4;

interface Opened {
  readonly page: Page;
  readonly wallet: TestWallet;
}

describe("app in a real browser (chromium, anvil, relay, blob gateway)", function () {
  skipUnderCoverage();
  this.timeout(120_000);
  let stack: AppStack;
  let browser: Browser;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)`);
    }
    // CARELEDGER_APP_INDEXER=1: lists from the indexer (indexer/) instead of the node's logs.
    const indexer = process.env.CARELEDGER_APP_INDEXER === "1";
    stack = await startAppStack({ indexer });
    if (indexer) expect(stack.config.indexerUrl, "the indexer did not start").to.equal("/indexer");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
      ],
    });
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async function () {
    await browser?.close();
    await stack?.stop();
  });

  /** A fresh page with `name`'s wallet, connected; the key unlocked unless `unlock` is false. */
  async function openAs(
    name: DemoMemberName,
    options: { chainId?: number; unlock?: boolean; query?: string; mode?: WalletMode } = {},
  ): Promise<Opened> {
    const member = stack.members[name];
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const wallet = new TestWallet(
      member.privateKey,
      stack.provider,
      options.chainId ?? APP_CHAIN_ID,
      new Set([APP_CHAIN_ID]),
    );
    wallet.mode = options.mode ?? "approve";
    await wallet.install(page);
    await page.goto(`${stack.appUrl}${options.query ?? ""}`);
    await page.getByRole("button", { name: /Connect CareLedger Test Wallet/ }).click();
    if (options.chainId !== undefined && options.chainId !== APP_CHAIN_ID) return { page, wallet };
    await page.getByTestId("identity").waitFor();
    if (options.unlock !== false) await unlock(page, name);
    return { page, wallet };
  }

  /** Unlock `name`'s key file with its passphrase in the page. */
  async function unlock(page: Page, name: DemoMemberName): Promise<void> {
    await page.locator("#key-json").fill(stack.members[name].keyFileJson);
    await page.locator("#key-pass").fill(DEMO_PASSPHRASE);
    await page.getByRole("button", { name: "Unlock" }).click();
    await expectStatus(page, /Key unlocked/);
  }

  async function expectStatus(page: Page, text: RegExp): Promise<void> {
    const status = page.locator("#status");
    try {
      await status.filter({ hasText: text }).waitFor({ timeout: 60_000 });
    } catch (error) {
      throw new Error(`status never matched ${text}: "${await status.textContent()}"`, {
        cause: error,
      });
    }
  }

  /** axe-core on the page: no serious or critical violation. */
  async function checkAccessibility(page: Page, view: string): Promise<void> {
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run(): Promise<{
              violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[];
            }>;
          };
        }
      ).axe;
      const result = await axe.run();
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        targets: v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3),
      }));
    });
    const severe = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(severe, `${view}: ${JSON.stringify(severe)}`).to.deep.equal([]);
  }

  async function shoot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async function grantBySignature(page: Page, prefix: string, grantee: string): Promise<void> {
    const form = page.locator(`form:has(#${prefix}-grantee)`);
    await form.locator(`#${prefix}-grantee`).fill(grantee);
    await form.locator(`#${prefix}-cat-${LABS}`).check();
    await form.getByRole("button", { name: "Review the grant" }).click();
    await form.getByTestId("consent-summary").waitFor();
  }

  it("a patient grants by signature, the doctor opens a record, the patient sees the open, revokes, and the doctor is refused", async function () {
    const { patient, doctor } = stack.members;
    const p = await openAs("patient");
    await grantBySignature(p.page, "grant", doctor.address);
    // The summary is on screen before the wallet is asked anything.
    expect(await p.page.getByTestId("consent-summary").textContent()).to.match(/labs/i);
    expect(p.wallet.prompts).to.deep.equal([]);
    await p.page.getByRole("button", { name: "Sign in my wallet" }).click();
    await expectStatus(p.page, /Access granted by signature/);
    expect(p.wallet.prompts).to.deep.equal(["eth_signTypedData_v4"]);
    expect(
      (await stack.ledger.consentOf(patient.address, doctor.address)).expiresAt,
    ).to.be.greaterThan(0n);

    const d = await openAs("doctor");
    await d.page.locator("#create-patient").fill(patient.address);
    await d.page.locator("#create-category").selectOption(String(LABS));
    await d.page.locator("#create-body").fill("HbA1c 5.4 % (browser test)");
    await d.page.getByRole("button", { name: "Seal, upload and anchor" }).click();
    await expectStatus(d.page, /Record anchored/);
    const recordId = /0x[0-9a-f]{64}/.exec(
      (await d.page.locator("#status").textContent()) ?? "",
    )![0];
    const listAndOpen = async (): Promise<void> => {
      await d.page.locator("#open-patient").fill(patient.address);
      await d.page.getByRole("button", { name: "List their records" }).click();
      const row = d.page.locator("tr", {
        hasText: `${recordId.slice(0, 6)}…${recordId.slice(-4)}`,
      });
      await row.getByRole("button", { name: /Open labs for treatment/i }).click();
    };
    await listAndOpen();
    await expectStatus(d.page, /Opened through consent/);
    expect(await d.page.getByTestId("decrypted").first().textContent()).to.equal(
      "HbA1c 5.4 % (browser test)",
    );
    await checkAccessibility(d.page, "clinician");
    await shoot(d.page, "clinician");

    await p.page.reload();
    await p.page.getByRole("button", { name: /Connect CareLedger Test Wallet/ }).click();
    await unlock(p.page, "patient");
    // The patient reads the doctor's record, decrypted in the browser.
    const mine = p.page.locator("tr", { hasText: `${recordId.slice(0, 6)}…${recordId.slice(-4)}` });
    await mine.getByRole("button", { name: "Read labs" }).click();
    await mine.getByTestId("decrypted").waitFor();
    expect(await mine.getByTestId("decrypted").textContent()).to.equal(
      "HbA1c 5.4 % (browser test)",
    );
    const opens = p.page.getByRole("table", { name: /Every open of my records/ });
    await opens.waitFor();
    const row = opens.locator("tbody tr", { hasText: "doctor" }).first();
    expect(await row.textContent()).to.match(/organisation 1.*treatment.*labs.*consent/);
    await checkAccessibility(p.page, "patient");
    await shoot(p.page, "patient");

    await p.page.locator(`button[data-grantee="${doctor.address.toLowerCase()}"]`).click();
    await p.page.getByTestId("consent-summary").waitFor();
    await p.page.getByRole("button", { name: "Sign the revocation in my wallet" }).click();
    await expectStatus(p.page, /Access revoked/);
    expect((await stack.ledger.consentOf(patient.address, doctor.address)).expiresAt).to.equal(0n);

    await listAndOpen();
    await expectStatus(d.page, /Refused by CareLedger \(Consent\w+\)/);
    await p.page.context().close();
    await d.page.context().close();
  });

  it("a guardian grants for a minor by signature, and revokes for them", async function () {
    const { minor, doctor } = stack.members;
    const g = await openAs("guardian");
    const section = g.page.getByRole("region", { name: /Acting for/ });
    await section.waitFor();
    const prefix = `for-${minor.address.slice(2, 8)}`;
    await grantBySignature(g.page, prefix, doctor.address);
    await checkAccessibility(g.page, "guardian");
    await g.page.getByRole("button", { name: "Sign in my wallet" }).click();
    await expectStatus(g.page, /Access granted by signature/);
    const grant = await stack.ledger.consentOf(minor.address, doctor.address);
    expect(grant.expiresAt).to.be.greaterThan(0n);
    expect(Number(grant.categories)).to.equal(1 << LABS);
    await shoot(g.page, "guardian");
    // Within their scope, the guardian also revokes for the minor.
    await section.locator(`button[data-grantee="${doctor.address.toLowerCase()}"]`).click();
    await g.page.getByRole("button", { name: "Sign the revocation in my wallet" }).click();
    await expectStatus(g.page, /Access revoked/);
    expect((await stack.ledger.consentOf(minor.address, doctor.address)).expiresAt).to.equal(0n);
    await g.page.context().close();
  });

  it("a patient grants by transaction, then narrows and extends the grant", async function () {
    const { minor, labdoctor } = stack.members;
    const VITALS = 3;
    const m = await openAs("minor");
    const form = m.page.locator("form:has(#grant-grantee)");
    await form.locator("#grant-grantee").fill(labdoctor.address);
    await form.locator(`#grant-cat-${VITALS}`).check();
    await form.locator(`#grant-cat-${LABS}`).check();
    await form.locator("#grant-mode-tx").check();
    await form.getByRole("button", { name: "Review the grant" }).click();
    await form.getByTestId("consent-summary").waitFor();
    expect(m.wallet.prompts).to.deep.equal([]);
    await form.getByRole("button", { name: "Confirm and send from my wallet" }).click();
    await expectStatus(m.page, /Access granted \(transaction/);
    expect(m.wallet.prompts).to.deep.equal(["eth_sendTransaction"]);
    const granted = await stack.ledger.consentOf(minor.address, labdoctor.address);
    expect(Number(granted.categories)).to.equal((1 << VITALS) | (1 << LABS));

    const row = () =>
      m.page.locator("tr", {
        has: m.page.locator(`button[data-grantee="${labdoctor.address.toLowerCase()}"]`),
      });
    await row().getByRole("button", { name: "Narrow to vitals" }).click();
    await expectStatus(m.page, /Narrowed to vitals/);
    expect(
      Number((await stack.ledger.consentOf(minor.address, labdoctor.address)).categories),
    ).to.equal(1 << VITALS);
    await row().getByRole("button", { name: "Extend 30 days" }).click();
    await expectStatus(m.page, /Extended by 30 days/);
    const extended = await stack.ledger.consentOf(minor.address, labdoctor.address);
    expect(extended.expiresAt - granted.expiresAt).to.equal(BigInt(30 * 86_400));
    await m.page.context().close();
  });

  it("a responder breaks the glass and opens a record; the auditor verifies the trail and reviews the incident", async function () {
    const { patient } = stack.members;
    const r = await openAs("responder");
    await r.page.locator("#bg-patient").fill(patient.address);
    await r.page.locator("#bg-why").fill("Unconscious on arrival, allergies unknown");
    await r.page.getByRole("button", { name: "Break the glass" }).click();
    await expectStatus(r.page, /Break-glass incident #\d+ declared/);
    expect(await r.page.locator("#bg-countdown").textContent()).to.match(/Window open: \d+ min/);
    await r.page.locator("#open-patient").fill(patient.address);
    await r.page.getByRole("button", { name: "List their records" }).click();
    await r.page
      .getByRole("button", { name: /Open labs for emergency treatment/i })
      .first()
      .click();
    await expectStatus(r.page, /Opened: the open is in the audit trail/);
    await checkAccessibility(r.page, "responder");
    await shoot(r.page, "responder");

    const a = await openAs("auditor", { unlock: false });
    await a.page.getByRole("button", { name: "Verify the trail" }).click();
    await expectStatus(a.page, /Trail verified/);
    expect(await a.page.locator("#verify-result").textContent()).to.match(/complete and unedited/);
    await checkAccessibility(a.page, "auditor");
    await shoot(a.page, "auditor");
    await a.page.getByRole("button", { name: /Review incident #1/ }).click();
    await expectStatus(a.page, /Incident #1 reviewed/);
    const incident = await stack.ledger.incidentOf(1n);
    expect(Number(incident.verdict)).to.equal(1);
    await r.page.context().close();
    await a.page.context().close();
  });

  it("a non-member, a wallet on the wrong chain, a rejected signature and a hanging wallet each get a plain message", async function () {
    const w = await openAs("patient", { chainId: 1 });
    await expectStatus(w.page, /Your wallet is on network 1, but CareLedger runs on/);
    await checkAccessibility(w.page, "wrong chain");
    await shoot(w.page, "wrong-chain");
    await w.page.getByRole("button", { name: "Switch network" }).click();
    await w.page.getByTestId("identity").waitFor();
    expect(w.wallet.chainId).to.equal(APP_CHAIN_ID);
    await w.page.context().close();

    const stranger = new TestWallet(
      devWallet(9).privateKey,
      stack.provider,
      APP_CHAIN_ID,
      new Set([APP_CHAIN_ID]),
    );
    const sp = await browser.newPage();
    await stranger.install(sp);
    await sp.goto(stack.appUrl);
    await sp.getByRole("button", { name: /Connect CareLedger Test Wallet/ }).click();
    await expectStatus(sp, /is not a CareLedger member/);
    await sp.context().close();

    const { doctor } = stack.members;
    const rj = await openAs("patient", { mode: "reject" });
    await grantBySignature(rj.page, "grant", doctor.address);
    await rj.page.getByRole("button", { name: "Sign in my wallet" }).click();
    await expectStatus(rj.page, /You declined the request in your wallet/);
    await shoot(rj.page, "rejected-signature");
    await rj.page.context().close();

    const hg = await openAs("patient", { query: "?walletTimeoutMs=3000" });
    hg.wallet.mode = "hang";
    await grantBySignature(hg.page, "grant", doctor.address);
    await hg.page.getByRole("button", { name: "Sign in my wallet" }).click();
    await expectStatus(hg.page, /Your wallet did not answer within 3 seconds/);
    await hg.page.context().close();
  });
});
