/**
 * The auditor view: verify the trail (the heads recomputed from the events equal the chain's), the
 * pending break-glass reviews, and a review with a verdict.
 */
import { id } from "ethers";
import { AuditorClient, ReviewVerdict, verifyAuditTrail } from "../../src/browser.js";
import { run, type Session } from "./session.js";
import { h, say, short, table, when } from "./ui.js";

/** Render the auditor view into `root`. */
export async function renderAuditor(session: Session, root: HTMLElement): Promise<void> {
  const refresh = () => void renderAuditor(session, root);
  const client = await AuditorClient.connect({
    ledger: session.ledger,
    signer: session.signer,
    fromBlock: session.config.fromBlock,
  });
  const pending = await session.queries.pendingBreakGlassReviews();

  const result = h("div", { "aria-live": "polite", id: "verify-result" });
  const verify = h("button", { type: "button" }, "Verify the trail");
  verify.addEventListener(
    "click",
    () =>
      void run(verify, async () => {
        const v = await verifyAuditTrail(session.ledger, { fromBlock: session.config.fromBlock });
        result.replaceChildren(
          h(
            "p",
            { class: v.matchesChain ? "ok" : "error" },
            v.matchesChain
              ? `The trail is complete and unedited: ${v.entries.length} entries, recomputed heads equal the heads on chain.`
              : `MISMATCH: the recomputed heads differ from the chain's (${v.mismatchedPatients.length} patients differ).`,
          ),
          h(
            "dl",
            {},
            h("dt", {}, "Recomputed global head"),
            h("dd", {}, h("code", {}, v.globalHead)),
            h("dt", {}, "Global head on chain"),
            h("dd", {}, h("code", {}, v.onChainHead)),
          ),
        );
        say(
          v.matchesChain ? "Trail verified." : "The trail does not match the chain.",
          v.matchesChain ? "ok" : "error",
        );
      }),
  );

  const rows = await Promise.all(
    pending.map(async (i) => {
      const verdict = h(
        "select",
        { id: `verdict-${i.incidentId}`, "aria-label": `Verdict on incident ${i.incidentId}` },
        h("option", { value: ReviewVerdict.Justified }, "justified"),
        h("option", { value: ReviewVerdict.Unjustified }, "unjustified"),
      );
      const notes = h("input", {
        id: `notes-${i.incidentId}`,
        type: "text",
        "aria-label": `Review notes on incident ${i.incidentId}`,
      });
      const submit = h("button", { type: "button" }, `Review incident #${i.incidentId}`);
      submit.addEventListener(
        "click",
        () =>
          void run(submit, async () => {
            await client.review(
              BigInt(i.incidentId),
              Number(verdict.value) as 1 | 2,
              id(notes.value),
            );
            say(`Incident #${i.incidentId} reviewed.`, "ok");
            refresh();
          }),
      );
      return [
        `#${i.incidentId}`,
        short(i.patient),
        await session.describe(i.responder),
        `${when(i.openedAt)} – ${when(i.expiresAt)}`,
        h("div", { class: "actions" }, verdict, notes, submit),
      ];
    }),
  );

  root.replaceChildren(
    h(
      "section",
      { class: "card", "aria-labelledby": "trail-title" },
      h("h2", { id: "trail-title" }, "Audit trail"),
      verify,
      result,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "reviews-title" },
      h("h2", { id: "reviews-title" }, "Break-glass incidents awaiting review"),
      table("Pending reviews", ["incident", "patient", "responder", "window", "verdict"], rows),
    ),
  );
}
