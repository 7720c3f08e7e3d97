/**
 * The clinician view (doctor, nurse, billing clerk, emergency responder): patients who granted me access,
 * create a record (seal, upload, anchor), open a record (the audited transaction, then fetch, verify and
 * decrypt), refusals explained with the decoded contract error, and break-glass with its countdown.
 */
import { id } from "ethers";
import {
  AccessPath,
  CATEGORY_LABELS,
  categoryLabel,
  categoryMaskLabel,
  ClinicianClient,
  NotAReaderError,
  Purpose,
  purposeMaskLabel,
  RecordStatus,
  Role,
  type Category,
} from "../../src/browser.js";
import { run, type Session } from "./session.js";
import { h, say, short, table, when } from "./ui.js";

async function clinician(session: Session): Promise<ClinicianClient> {
  return ClinicianClient.connect({
    ledger: session.ledger,
    signer: session.signer,
    store: session.store,
    keys: session.requireKeys(),
    fromBlock: session.config.fromBlock,
  });
}

let countdown: ReturnType<typeof setInterval> | undefined;

/** Render the clinician view into `root`. */
export async function renderClinician(session: Session, root: HTMLElement): Promise<void> {
  const me = session.account;
  const responder = session.member.role === Role.EmergencyResponder;
  const patients = await session.queries.patientsOfGrantee(me);

  const patientRows = patients.map((g) => [
    h("code", {}, g.patient),
    categoryMaskLabel(g.categories),
    purposeMaskLabel(g.purposes),
    when(g.expiresAt),
  ]);

  // Create a record
  const cPatient = h("input", {
    id: "create-patient",
    type: "text",
    placeholder: "0x…",
    required: true,
    autocomplete: "off",
  });
  const cCategory = h(
    "select",
    { id: "create-category" },
    ...(Object.keys(CATEGORY_LABELS).map(Number) as Category[]).map((c) =>
      h("option", { value: c }, CATEGORY_LABELS[c]),
    ),
  );
  const cBody = h("textarea", { id: "create-body", rows: 4, required: true });
  const cSubmit = h("button", { type: "submit" }, "Seal, upload and anchor");
  const createForm = h(
    "form",
    { "aria-label": "Create a record" },
    h("label", { for: "create-patient" }, "Patient's account"),
    cPatient,
    h("label", { for: "create-category" }, "Category"),
    cCategory,
    h("label", { for: "create-body" }, "Record (text or FHIR JSON)"),
    cBody,
    cSubmit,
  );
  createForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void run(cSubmit, async () => {
      say(
        "Sealing in this browser, then uploading (sign the upload) and anchoring (confirm the transaction)…",
      );
      const client = await clinician(session);
      const anchored = await client.createRecord(
        cPatient.value.trim(),
        Number(cCategory.value) as Category,
        cBody.value,
      );
      say(`Record anchored: ${anchored.recordId}.`, "ok");
    });
  });

  // Open records of a patient
  const oPatient = h("input", {
    id: "open-patient",
    type: "text",
    placeholder: "0x…",
    required: true,
    autocomplete: "off",
  });
  const oSubmit = h("button", { type: "submit" }, "List their records");
  const oList = h("div", { "aria-live": "polite" });
  const openForm = h(
    "form",
    { "aria-label": "Open a record" },
    h("label", { for: "open-patient" }, "Patient's account"),
    oPatient,
    oSubmit,
    oList,
  );
  openForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void run(oSubmit, async () => {
      const records = (await session.queries.recordsOf(oPatient.value.trim())).filter(
        (r) => r.status === RecordStatus.Current,
      );
      const purpose = responder ? Purpose.Emergency : Purpose.Treatment;
      oList.replaceChildren(
        table(
          "Their records",
          ["category", "record", "open"],
          records.map((r) => {
            const out = h("div", { "aria-live": "polite" });
            const button = h(
              "button",
              { type: "button" },
              `Open ${categoryLabel(r.category)} for ${responder ? "emergency treatment" : "treatment"}`,
            );
            button.addEventListener(
              "click",
              () =>
                void run(button, async () => {
                  say("Opening: confirm the audited transaction in your wallet…");
                  const client = await clinician(session);
                  try {
                    const opened = await client.openRecord(r.recordId, purpose);
                    const how =
                      opened.access.path === AccessPath.BreakGlass
                        ? "break-glass (flagged for review)"
                        : "consent";
                    out.replaceChildren(h("pre", { "data-testid": "decrypted" }, opened.text()));
                    say(
                      `Opened through ${how}; the open is in the audit trail. Verified against the chain and decrypted here.`,
                      "ok",
                    );
                  } catch (error) {
                    if (!(error instanceof NotAReaderError)) throw error;
                    out.replaceChildren(
                      h("p", {}, "Opened and audited; no key for you in this envelope."),
                    );
                    say(
                      "Opened: the open is in the audit trail. No key is wrapped for you in this record: the hospital's emergency key custodian releases it because of this audited open.",
                      "ok",
                    );
                  }
                }),
            );
            return [categoryLabel(r.category), short(r.recordId), h("div", {}, button, out)];
          }),
        ),
      );
    });
  });

  // Break the glass
  const bPatient = h("input", {
    id: "bg-patient",
    type: "text",
    placeholder: "0x…",
    required: true,
    autocomplete: "off",
  });
  const bWhy = h("textarea", { id: "bg-why", rows: 2, required: true });
  const bMinutes = h("input", { id: "bg-minutes", type: "number", min: 1, max: 240, value: 60 });
  const bSubmit = h("button", { type: "submit", class: "danger" }, "Break the glass");
  const bTimer = h("p", { id: "bg-countdown", role: "timer", "aria-live": "off" });
  const glassForm = h(
    "form",
    { "aria-label": "Break the glass" },
    h(
      "p",
      {},
      "Emergency access without consent: flagged, shown to the patient and reviewed by an auditor.",
    ),
    h("label", { for: "bg-patient" }, "Patient's account"),
    bPatient,
    h("label", { for: "bg-why" }, "Justification (kept off chain; its hash is recorded)"),
    bWhy,
    h("label", { for: "bg-minutes" }, "Window in minutes"),
    bMinutes,
    bSubmit,
    bTimer,
  );
  glassForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void run(bSubmit, async () => {
      if (bWhy.value.trim() === "") throw new Error("Write the justification first.");
      const client = await clinician(session);
      const opened = await client.breakGlass(
        bPatient.value.trim(),
        id(bWhy.value.trim()),
        Number(bMinutes.value) * 60,
      );
      say(`Break-glass incident #${opened.incidentId} declared; the window is open.`, "ok");
      const chainOffset = opened.openedAt - Math.floor(Date.now() / 1000);
      if (countdown !== undefined) clearInterval(countdown);
      const tick = () => {
        const left = opened.expiresAt - (Math.floor(Date.now() / 1000) + chainOffset);
        bTimer.textContent =
          left > 0
            ? `Window open: ${Math.floor(left / 60)} min ${String(left % 60).padStart(2, "0")} s left (incident #${opened.incidentId}).`
            : "The break-glass window has closed.";
        if (left <= 0 && countdown !== undefined) clearInterval(countdown);
      };
      tick();
      countdown = setInterval(tick, 1000);
    });
  });

  const sections: HTMLElement[] = [
    h(
      "section",
      { class: "card", "aria-labelledby": "mypatients-title" },
      h("h2", { id: "mypatients-title" }, "Patients who granted me access"),
      table("Live grants to me", ["patient", "categories", "purposes", "until"], patientRows),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "open-title" },
      h("h2", { id: "open-title" }, "Open a record"),
      openForm,
    ),
    responder
      ? h(
          "section",
          { class: "card", "aria-labelledby": "bg-title" },
          h("h2", { id: "bg-title" }, "Break the glass"),
          glassForm,
        )
      : h(
          "section",
          { class: "card", "aria-labelledby": "create-title" },
          h("h2", { id: "create-title" }, "Create a record"),
          createForm,
        ),
  ];
  root.replaceChildren(...sections);
}
