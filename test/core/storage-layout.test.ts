import { expect } from "chai";
import {
  STORAGE_LAYOUT_SNAPSHOT,
  readStorageLayout,
  readStorageLayoutSnapshot,
} from "../helpers/index.js";

describe("storage layout", function () {
  this.timeout(120_000);

  it(`matches the reviewed snapshot ${STORAGE_LAYOUT_SNAPSHOT}`, async function () {
    const [current, snapshot] = await Promise.all([
      readStorageLayout(),
      readStorageLayoutSnapshot(),
    ]);
    expect(
      current,
      "the storage layout changed: review it, then `npx tsx scripts/storage-layout.ts --write`",
    ).to.deep.equal(snapshot);
  });

  it("keeps the limits in the pause flag's slot and every hot struct in one slot", async function () {
    const { variables, structs } = await readStorageLayout();
    const slotOf = (label: string) => variables.find((v) => v.label === label)?.slot;
    const paused = slotOf("_paused");
    expect(paused).to.not.equal(undefined);
    for (const label of ["_maxSignatureLifetime", "_maxConsentDuration", "_breakGlassWarmup"]) {
      expect(slotOf(label), label).to.equal(paused);
    }
    for (const struct of [
      "Member",
      "Grant",
      "Record",
      "BreakGlassWindow",
      "Delegation",
      "RolePolicy",
    ]) {
      const members = structs[`t_struct(${struct})_storage`];
      expect(members, struct).to.not.equal(undefined);
      expect(new Set(members?.map((m) => m.slot)), `${struct} fits one slot`).to.deep.equal(
        new Set(["0"]),
      );
    }
  });
});
