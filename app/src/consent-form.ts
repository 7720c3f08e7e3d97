/**
 * The grant form shared by patients and guardians: grantee, categories, purposes, duration, and how to
 * send it (a signature relayed by the service, so the patient pays nothing, or a transaction). The
 * human-readable summary of what will be signed is shown before the wallet is asked.
 */
import {
  CATEGORY_LABELS,
  categoryMask,
  PatientClient,
  prepareGrant,
  prepareRevoke,
  PURPOSE_LABELS,
  purposeMask,
  serializeSignedConsent,
  summarizeConsent,
  toEthSignTypedDataV4Json,
  type Category,
  type ConsentRequest,
  type Purpose,
  type SignedConsent,
} from "../../src/browser.js";
import { run, serviceBaseUrl, type Session } from "./session.js";
import { h, say } from "./ui.js";

const SIGNATURE_LIFETIME_S = 3600;

/** The live session's `PatientClient` (a patient acting for itself). */
export async function patientClient(session: Session): Promise<PatientClient> {
  return PatientClient.connect({
    ledger: session.ledger,
    signer: session.signer,
    store: session.store,
    keys: session.requireKeys(),
    fromBlock: session.config.fromBlock,
  });
}

async function chainNow(session: Session): Promise<number> {
  const block = await session.provider.getBlock("latest");
  return block?.timestamp ?? Math.floor(Date.now() / 1000);
}

/** Show the summary of `request` in `panel` and resolve once the user confirms (false on cancel). */
function confirmSummary(
  session: Session,
  panel: HTMLElement,
  request: ConsentRequest,
  action: string,
): Promise<boolean> {
  const summary = summarizeConsent(request, { nameOf: () => undefined });
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      panel.replaceChildren();
      resolve(ok);
    };
    panel.replaceChildren(
      h(
        "section",
        { class: "summary", "aria-labelledby": "summary-title", "data-testid": "consent-summary" },
        h("h4", { id: "summary-title" }, `Before you sign: ${summary.title}`),
        h("p", {}, summary.text),
        h("dl", {}, ...summary.lines.flatMap((l) => [h("dt", {}, l.label), h("dd", {}, l.value)])),
        h(
          "p",
          { class: "small" },
          `Bound to chain ${summary.chainId}, contract ${summary.verifyingContract}.`,
        ),
        h("button", { type: "button", onclick: () => done(true) }, action),
        h("button", { type: "button", class: "secondary", onclick: () => done(false) }, "Cancel"),
      ),
    );
    void session;
  });
}

/** Sign `request` with the wallet (`eth_signTypedData_v4`) and relay it; returns the transaction hash. */
export async function signAndRelay(session: Session, request: ConsentRequest): Promise<string> {
  say("Waiting for your signature in the wallet…");
  const signature = String(
    await session.wallet.request({
      method: "eth_signTypedData_v4",
      params: [session.account, toEthSignTypedDataV4Json(request)],
    }),
  );
  const signed = { ...request, signer: session.account, signature } as SignedConsent;
  say("Signed. The clinic's relay is sending it (you pay nothing)…");
  const base = serviceBaseUrl(session.config);
  const response = await fetch(`${base}/consents`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: serializeSignedConsent(signed),
  });
  let state = (await response.json()) as RelayState;
  if (!response.ok) throw new Error(`The relay refused it: ${relayReason(state)}`);
  // Not mined within the relay's wait: follow its status URL.
  for (let i = 0; i < 60 && state.status === "pending" && state.statusUrl !== undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    state = (await (await fetch(`${base}${state.statusUrl}`)).json()) as RelayState;
  }
  if (state.status !== "mined") {
    throw new Error(`The relay could not get it mined (${state.status ?? "unknown"}).`);
  }
  return state.txHash ?? "";
}

/** The relay's answer (`POST /consents`, `GET /consents/:digest`). */
interface RelayState {
  readonly status?: "pending" | "mined" | "failed";
  readonly txHash?: string | null;
  readonly statusUrl?: string;
  readonly error?: {
    readonly code?: string;
    readonly message?: string;
    readonly errorName?: string;
  };
}

function relayReason(state: RelayState): string {
  const e = state.error;
  if (e === undefined) return "no reason given";
  return e.errorName === undefined
    ? (e.message ?? e.code ?? "")
    : `${e.errorName}: ${e.message ?? ""}`;
}

/** Options of {@link grantForm}. */
export interface GrantFormOptions {
  /** The patient the grant is for (the session's account, or a patient a guardian acts for). */
  readonly patient: string;
  /** Categories the signer may grant (a guardian's scope); all by default. */
  readonly scope?: readonly Category[];
  /** Only by signature (a guardian acting for a patient). */
  readonly signatureOnly?: boolean;
  readonly idPrefix: string;
  readonly onDone: () => void;
}

/** The grant form. */
export function grantForm(session: Session, options: GrantFormOptions): HTMLElement {
  const p = options.idPrefix;
  const categories = (
    options.scope ?? (Object.keys(CATEGORY_LABELS).map(Number) as Category[])
  ).map((c) => ({ c, box: h("input", { type: "checkbox", id: `${p}-cat-${c}`, value: c }) }));
  const purposes = (Object.keys(PURPOSE_LABELS).map(Number) as Purpose[]).map((x) => ({
    x,
    box: h("input", { type: "checkbox", id: `${p}-purpose-${x}`, value: x, checked: x === 0 }),
  }));
  const grantee = h("input", {
    id: `${p}-grantee`,
    type: "text",
    placeholder: "0x…",
    autocomplete: "off",
    required: true,
  });
  const days = h("input", { id: `${p}-days`, type: "number", min: 1, max: 365, value: 30 });
  const bySig = h("input", {
    type: "radio",
    name: `${p}-mode`,
    id: `${p}-mode-sig`,
    checked: true,
  });
  const byTx = h("input", { type: "radio", name: `${p}-mode`, id: `${p}-mode-tx` });
  const panel = h("div", { "aria-live": "polite" });
  const submit = h("button", { type: "submit" }, "Review the grant");
  const form = h(
    "form",
    { "aria-label": "Grant access" },
    h("label", { for: `${p}-grantee` }, "Grantee (clinician's account)"),
    grantee,
    h(
      "fieldset",
      {},
      h("legend", {}, "Categories of records"),
      ...categories.map(({ c, box }) =>
        h("span", { class: "choice" }, box, h("label", { for: box.id }, CATEGORY_LABELS[c])),
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Purposes"),
      ...purposes.map(({ x, box }) =>
        h("span", { class: "choice" }, box, h("label", { for: box.id }, PURPOSE_LABELS[x])),
      ),
    ),
    h("label", { for: `${p}-days` }, "For how many days"),
    days,
    h(
      "fieldset",
      {},
      h("legend", {}, "How to send it"),
      h(
        "span",
        { class: "choice" },
        bySig,
        h("label", { for: bySig.id }, "Sign only: the clinic's relay sends it, you pay nothing"),
      ),
      options.signatureOnly === true
        ? null
        : h(
            "span",
            { class: "choice" },
            byTx,
            h("label", { for: byTx.id }, "Send a transaction from my wallet"),
          ),
    ),
    submit,
    panel,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void run(submit, async () => {
      const cats = categories.filter((x) => x.box.checked).map((x) => x.c);
      const purs = purposes.filter((x) => x.box.checked).map((x) => x.x);
      if (cats.length === 0) throw new Error("Choose at least one category of records.");
      if (purs.length === 0) throw new Error("Choose at least one purpose.");
      const member = await session.memberOf(grantee.value.trim()).catch(() => {
        throw new Error(`“${grantee.value}” is not an account address.`);
      });
      if (member.role === 0)
        throw new Error(
          `${member.address} is not a CareLedger member: a grant to it would open nothing.`,
        );
      const now = await chainNow(session);
      const expiresAt = now + Number(days.value) * 86_400;
      const request = await prepareGrant(session.ledger, {
        patient: options.patient,
        grantee: member.address,
        categories: categoryMask(...cats),
        purposes: purposeMask(...purs),
        expiresAt,
        deadline: now + SIGNATURE_LIFETIME_S,
        signer: session.account,
      });
      const viaTx = byTx.checked && options.signatureOnly !== true;
      say("Read what you are about to sign, then confirm.");
      const ok = await confirmSummary(
        session,
        panel,
        request,
        viaTx ? "Confirm and send from my wallet" : "Sign in my wallet",
      );
      if (!ok) return say("Cancelled: nothing was signed.");
      if (viaTx) {
        say("Waiting for your wallet to send the transaction…");
        const client = await patientClient(session);
        const tx = await client.grantConsent(member.address, {
          categories: cats,
          purposes: purs,
          expiresAt,
        });
        say(`Access granted (transaction ${tx.hash.slice(0, 10)}…).`, "ok");
      } else {
        const hash = await signAndRelay(session, request);
        say(
          `Access granted by signature; the relay sent it (transaction ${hash.slice(0, 10)}…). You paid nothing.`,
          "ok",
        );
      }
      options.onDone();
    });
  });
  return form;
}

/** Revoke `grantee` for `patient` by a relayed signature, after the summary. */
export async function revokeBySignature(
  session: Session,
  patient: string,
  grantee: string,
  panel: HTMLElement,
): Promise<boolean> {
  const now = await chainNow(session);
  const request = await prepareRevoke(session.ledger, {
    patient,
    grantee,
    deadline: now + SIGNATURE_LIFETIME_S,
    signer: session.account,
  });
  const ok = await confirmSummary(session, panel, request, "Sign the revocation in my wallet");
  if (!ok) {
    say("Cancelled: nothing was signed.");
    return false;
  }
  const hash = await signAndRelay(session, request);
  say(`Access revoked by signature (transaction ${hash.slice(0, 10)}…).`, "ok");
  return true;
}
