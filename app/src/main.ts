/**
 * The CareLedger app: find a wallet (EIP-6963), connect, get onto the right chain, unlock the member's key
 * in the browser, and show the view of the member's role (patient, clinician, auditor).
 */
import { Role } from "../../src/browser.js";
import { renderAuditor } from "./auditor.js";
import { renderClinician } from "./clinician.js";
import { loadConfig, type AppConfig } from "./config.js";
import { renderPatient } from "./patient.js";
import { explain, run, Session } from "./session.js";
import { h, say, short } from "./ui.js";
import {
  discoverWallets,
  guarded,
  switchChain,
  walletChainId,
  wrongChainText,
  type DiscoveredWallet,
  type Eip1193Provider,
} from "./wallet.js";
import "./style.css";

const DEFAULT_WALLET_TIMEOUT_MS = 120_000;

function slot(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing from index.html`);
  return el;
}

async function connect(config: AppConfig, wallet: DiscoveredWallet): Promise<void> {
  const provider = guarded(wallet.provider, config.walletTimeoutMs ?? DEFAULT_WALLET_TIMEOUT_MS);
  say(`Asking ${wallet.info.name} for your account…`);
  const accounts = (await provider.request({ method: "eth_requestAccounts" })) as string[];
  const account = accounts[0];
  if (account === undefined)
    throw new Error("Your wallet shared no account. Unlock it and try again.");
  const chainId = await walletChainId(provider);
  const view = slot("view");
  const identity = slot("identity");
  if (chainId !== config.chainId) {
    view.replaceChildren();
    const button = h("button", { type: "button" }, "Switch network");
    button.addEventListener(
      "click",
      () =>
        void run(button, async () => {
          await switchChain(provider, config);
          await connect(config, wallet);
        }),
    );
    identity.replaceChildren(button);
    say(wrongChainText(chainId, config), "error");
    return;
  }
  const session = await Session.open(config, provider, account);
  if (session.member.role === Role.None) {
    view.replaceChildren();
    identity.replaceChildren(h("p", {}, `Connected: ${short(account)}`));
    say(
      `The account ${account} is not a CareLedger member. Ask your hospital's registrar to onboard it, or switch to your member account in the wallet.`,
      "error",
    );
    return;
  }
  if (!session.member.active) {
    say(
      `The account ${account} is suspended on CareLedger: ask your hospital's registrar.`,
      "error",
    );
    return;
  }
  identity.replaceChildren(
    h(
      "p",
      { "data-testid": "identity" },
      `Connected as ${session.member.roleName}`,
      session.member.orgId === 0 ? "" : ` of organisation ${session.member.orgId}`,
      ` — ${short(account)}`,
    ),
  );
  const render = async (): Promise<void> => {
    const inner = h("div", {});
    view.replaceChildren(
      session.member.role === Role.Auditor ? h("div") : keyPanel(session, () => void render()),
      inner,
    );
    try {
      if (session.member.role === Role.Patient) await renderPatient(session, inner);
      else if (session.member.role === Role.Auditor) await renderAuditor(session, inner);
      else await renderClinician(session, inner);
      document.body.dataset.view = roleView(session.member.role);
    } catch (error) {
      say(explain(error), "error");
    }
  };
  say(`Connected to CareLedger on ${config.chainName}.`, "ok");
  await render();
}

function roleView(role: Role): string {
  if (role === Role.Patient) return "patient";
  if (role === Role.Auditor) return "auditor";
  return "clinician";
}

function keyPanel(session: Session, onUnlocked: () => void): HTMLElement {
  if (session.keys !== undefined) {
    return h(
      "section",
      { class: "card small", "aria-labelledby": "key-title" },
      h("h2", { id: "key-title" }, "Your key"),
      h("p", {}, "Unlocked in this browser's memory only; closing the tab forgets it."),
    );
  }
  const file = h("input", { id: "key-file", type: "file", accept: "application/json,.json" });
  const text = h("textarea", {
    id: "key-json",
    rows: 3,
    placeholder: '{"version":1,"type":"careledger-x25519-key",…}',
  });
  const pass = h("input", { id: "key-pass", type: "password", autocomplete: "current-password" });
  const submit = h("button", { type: "submit" }, "Unlock");
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    if (chosen !== undefined) void chosen.text().then((t) => (text.value = t));
  });
  const form = h(
    "form",
    { "aria-label": "Unlock your key" },
    h(
      "p",
      {},
      "Your records are encrypted for your key. Unlock your key file with its passphrase: it is decrypted here and never leaves this browser.",
    ),
    h("label", { for: "key-file" }, "Key file"),
    file,
    h("label", { for: "key-json" }, "or paste it"),
    text,
    h("label", { for: "key-pass" }, "Passphrase"),
    pass,
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void run(submit, async () => {
      say("Unlocking your key…");
      await session.unlock(text.value, pass.value);
      pass.value = "";
      say("Key unlocked in this browser.", "ok");
      onUnlocked();
    });
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "key-title" },
    h("h2", { id: "key-title" }, "Your key"),
    form,
  );
}

async function main(): Promise<void> {
  const loaded = await loadConfig();
  // `?walletTimeoutMs=` shortens the wait for a hanging wallet (tests).
  const override = Number(new URLSearchParams(location.search).get("walletTimeoutMs") ?? "NaN");
  const config =
    Number.isFinite(override) && override > 0 ? { ...loaded, walletTimeoutMs: override } : loaded;
  const walletsSlot = slot("wallets");
  const shown = new Set<string>();
  const show = (wallets: readonly DiscoveredWallet[]) => {
    for (const wallet of wallets) {
      if (shown.has(wallet.info.uuid)) continue;
      shown.add(wallet.info.uuid);
      const button = h(
        "button",
        { type: "button", "data-wallet": wallet.info.rdns },
        h("img", { src: wallet.info.icon, alt: "", width: 20, height: 20 }),
        ` Connect ${wallet.info.name}`,
      );
      button.addEventListener("click", () => void run(button, () => connect(config, wallet)));
      walletsSlot.append(button);
      wallet.provider.on?.(
        "chainChanged",
        () => void connect(config, wallet).catch((e: unknown) => say(explain(e), "error")),
      );
      wallet.provider.on?.(
        "accountsChanged",
        () => void connect(config, wallet).catch((e: unknown) => say(explain(e), "error")),
      );
    }
  };
  discoverWallets(show);
  setTimeout(() => {
    if (shown.size > 0) return;
    const legacy = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
    if (legacy !== undefined) {
      show([
        {
          info: { uuid: "legacy", name: "browser wallet", icon: "", rdns: "legacy" },
          provider: legacy,
        },
      ]);
    } else {
      say(
        "No wallet found in this browser. Install a wallet (for example MetaMask) and reload the page.",
        "error",
      );
    }
  }, 800);
}

main().catch((error: unknown) => say(explain(error), "error"));
