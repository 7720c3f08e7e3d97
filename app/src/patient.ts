/**
 * The patient view: my records decrypted here, my consents (live, expired, revoked) with grant, narrow,
 * extend and revoke, my delegates and guardians, who opened my records, and, for a guardian, the patients
 * they act for within their scope.
 */
import {
  categoriesInMask,
  categoryMaskLabel,
  CATEGORY_LABELS,
  categoryLabel,
  purposeLabel,
  purposeMaskLabel,
  RecordStatus,
} from "../../src/browser.js";
import { grantForm, patientClient, revokeBySignature } from "./consent-form.js";
import { run, type Session } from "./session.js";
import { h, say, short, table, when } from "./ui.js";

/** Render the patient view into `root`. */
export async function renderPatient(session: Session, root: HTMLElement): Promise<void> {
  const me = session.account;
  const refresh = () => void renderPatient(session, root);
  const [records, grants, opens, delegates, actFor] = await Promise.all([
    session.queries.recordsOf(me),
    session.queries.grantsOf(me),
    session.queries.whoOpenedMyRecords(me, 50),
    delegationsOf(session, { patient: me }),
    delegationsOf(session, { delegate: me }),
  ]);

  const recordRows = await Promise.all(
    records
      .filter(
        (r) =>
          r.status === RecordStatus.Current && !records.some((o) => o.supersedes === r.recordId),
      )
      .map(async (r) => {
        const out = h("div", { class: "body", "aria-live": "polite" });
        const button = h("button", { type: "button" }, `Read ${categoryLabel(r.category)}`);
        button.addEventListener(
          "click",
          () =>
            void run(button, async () => {
              const client = await patientClient(session);
              const opened = await client.openRecord(r.recordId);
              out.replaceChildren(h("pre", { "data-testid": "decrypted" }, opened.text()));
              say("Decrypted in this browser; nothing was sent anywhere.", "ok");
            }),
        );
        return [
          categoryLabel(r.category),
          await session.describe(r.author),
          short(r.recordId),
          h("div", {}, button, out),
        ];
      }),
  );

  const consentPanel = h("div", { "aria-live": "polite" });
  const consentRows = await Promise.all(
    grants.map(async (g) => {
      const actions = h("div", { class: "actions" });
      if (g.status === "live") {
        const revoke = revokeButton(session, me, g.grantee, consentPanel, refresh);
        const extend = h("button", { type: "button", class: "secondary" }, "Extend 30 days");
        extend.addEventListener(
          "click",
          () =>
            void run(extend, async () => {
              const tx = await session.ledger.extendConsent(g.grantee, g.expiresAt + 30 * 86_400);
              await tx.wait();
              say("Extended by 30 days.", "ok");
              refresh();
            }),
        );
        const cats = categoriesInMask(g.categories);
        const narrow = h(
          "button",
          { type: "button", class: "secondary" },
          `Narrow to ${categoryLabel(cats[0] ?? 0)}`,
        );
        narrow.disabled = cats.length < 2;
        narrow.addEventListener(
          "click",
          () =>
            void run(narrow, async () => {
              const tx = await session.ledger.narrowConsent(
                g.grantee,
                1 << (cats[0] ?? 0),
                g.purposes,
              );
              await tx.wait();
              say(`Narrowed to ${categoryLabel(cats[0] ?? 0)}.`, "ok");
              refresh();
            }),
        );
        actions.append(revoke, extend, narrow);
      }
      return [
        await session.describe(g.grantee),
        categoryMaskLabel(g.categories),
        purposeMaskLabel(g.purposes),
        when(g.expiresAt),
        h("span", { class: `badge ${g.status}` }, g.status),
        actions,
      ];
    }),
  );

  const openRows = await Promise.all(
    opens.map(async (o) => {
      const actor = await session.memberOf(o.actor);
      return [
        short(o.actor),
        o.actorOrg === 0 ? "—" : `organisation ${o.actorOrg}`,
        actor.roleName,
        o.purpose === null ? "—" : purposeLabel(o.purpose),
        o.category === null ? "—" : categoryLabel(o.category),
        when(o.time),
        o.flagged ? h("strong", { class: "badge flagged" }, "break-glass") : "consent",
      ];
    }),
  );

  const actForSections = await Promise.all(
    actFor
      .filter((d) => d.live)
      .map(async (d) => {
        const theirGrants = await session.queries.grantsOf(d.patient);
        const panel = h("div", { "aria-live": "polite" });
        const scope = categoriesInMask(d.scope);
        return h(
          "section",
          { class: "card", "aria-label": `Acting for ${short(d.patient)}` },
          h(
            "h3",
            {},
            `Patient ${short(d.patient)} (you are their guardian until ${when(d.expiresAt)})`,
          ),
          h("p", {}, `Your scope: ${scope.map((c) => CATEGORY_LABELS[c]).join(", ")}.`),
          table(
            `Their consents`,
            ["grantee", "categories", "until", "status", "change"],
            await Promise.all(
              theirGrants.map(async (g) => [
                await session.describe(g.grantee),
                categoryMaskLabel(g.categories),
                when(g.expiresAt),
                g.status,
                g.status === "live"
                  ? revokeButton(session, d.patient, g.grantee, panel, refresh)
                  : "",
              ]),
            ),
          ),
          panel,
          h("h4", {}, "Grant access for them"),
          grantForm(session, {
            patient: d.patient,
            scope,
            signatureOnly: true,
            idPrefix: `for-${d.patient.slice(2, 8)}`,
            onDone: refresh,
          }),
        );
      }),
  );

  root.replaceChildren(
    h(
      "section",
      { class: "card", "aria-labelledby": "records-title" },
      h("h2", { id: "records-title" }, "My records"),
      table(
        "My records (current versions)",
        ["category", "written by", "record", "read it"],
        recordRows,
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "consents-title" },
      h("h2", { id: "consents-title" }, "My consents"),
      table(
        "Who may open my records",
        ["grantee", "categories", "purposes", "until", "status", "change"],
        consentRows,
      ),
      consentPanel,
      h("h3", {}, "Grant access"),
      grantForm(session, { patient: me, idPrefix: "grant", onDone: refresh }),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "opens-title" },
      h("h2", { id: "opens-title" }, "Who opened my records"),
      table(
        "Every open of my records, newest first",
        ["who", "organisation", "role", "purpose", "category", "when", "how"],
        openRows,
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "delegates-title" },
      h("h2", { id: "delegates-title" }, "My delegates and guardians"),
      table(
        "People who may manage my consent",
        ["delegate", "scope", "until", "status"],
        await Promise.all(
          delegates.map(async (d) => [
            await session.describe(d.delegate),
            categoryMaskLabel(d.scope),
            when(d.expiresAt),
            d.live ? "live" : "ended",
          ]),
        ),
      ),
    ),
    ...(actForSections.length === 0
      ? []
      : [
          h(
            "section",
            { class: "card", "aria-labelledby": "actfor-title" },
            h("h2", { id: "actfor-title" }, "Patients I act for"),
            ...actForSections,
          ),
        ]),
  );
}

/** A "Revoke" button: `patient`'s grant to `grantee`, revoked by a relayed signature after the summary. */
function revokeButton(
  session: Session,
  patient: string,
  grantee: string,
  panel: HTMLElement,
  refresh: () => void,
): HTMLButtonElement {
  const button = h("button", { type: "button", "data-grantee": grantee.toLowerCase() }, "Revoke");
  button.addEventListener(
    "click",
    () =>
      void run(button, async () => {
        if (await revokeBySignature(session, patient, grantee, panel)) refresh();
      }),
  );
  return button;
}

interface DelegationView {
  readonly patient: string;
  readonly delegate: string;
  readonly scope: number;
  readonly expiresAt: number;
  readonly live: boolean;
}

async function delegationsOf(
  session: Session,
  who: { patient?: string; delegate?: string },
): Promise<DelegationView[]> {
  const logs = await session.ledger.queryFilter(
    session.ledger.filters.DelegateAppointed(who.patient, who.delegate),
    session.config.fromBlock,
  );
  const pairs = new Map<string, [string, string]>();
  for (const log of logs)
    pairs.set(`${log.args.patient}:${log.args.delegate}`, [log.args.patient, log.args.delegate]);
  const block = await session.provider.getBlock("latest");
  const now = block?.timestamp ?? 0;
  return Promise.all(
    [...pairs.values()].map(async ([patient, delegate]) => {
      const d = await session.ledger.delegationOf(patient, delegate);
      const expiresAt = Number(d.expiresAt);
      return {
        patient,
        delegate,
        scope: Number(d.scope),
        expiresAt,
        live: !d.removed && expiresAt > now,
      };
    }),
  );
}
