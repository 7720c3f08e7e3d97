/**
 * The admin client: registrar work (organisations, onboarding members with their X25519 public key,
 * activation, role changes) and governance work (role policy, pause). Which calls succeed depends on
 * the signer's roles: a registrar without the admin role gets a decoded `NotAuthorizedError` from
 * `setRolePolicy`, and the reverse.
 */
import { getAddress } from "ethers";
import type { BytesInput } from "../../crypto/bytes.js";
import { encryptionKeyHex } from "../../crypto/keys.js";
import {
  DEFAULT_ADMIN_ROLE,
  REGISTRAR_ROLE,
  type Role,
  type RolePolicyMasks,
} from "../constants.js";
import type { LedgerClientOptions, SentTransaction } from "./base.js";
import { LedgerClient, signerAddress } from "./base.js";

/** A member to onboard. */
export interface NewMember {
  readonly account: string;
  readonly role: Role;
  /** An active organisation for staff; 0 (none) or a registered organisation for patients. */
  readonly orgId: number;
  /** The member's X25519 public key (32 bytes or bytes32 hex), from `generateMemberKeyPair`. */
  readonly publicKey: BytesInput;
}

/** SDK client of a registrar and/or the governance admin. */
export class AdminClient extends LedgerClient {
  /** A client acting as `options.signer`. */
  static async connect(options: LedgerClientOptions): Promise<AdminClient> {
    return new AdminClient(options, await signerAddress(options.signer));
  }

  /** Whether this client's account holds the registrar role. */
  isRegistrar(): Promise<boolean> {
    return this.view("hasRole", this.ledger.hasRole(REGISTRAR_ROLE, this.address));
  }

  /** Whether this client's account is the governance admin. */
  isGovernanceAdmin(): Promise<boolean> {
    return this.view("hasRole", this.ledger.hasRole(DEFAULT_ADMIN_ROLE, this.address));
  }

  /** Register organisation `orgId` (registrar). */
  registerOrganization(orgId: number): Promise<SentTransaction> {
    return this.send("registerOrganization", () =>
      this.ledger.registerOrganization.populateTransaction(orgId),
    );
  }

  /** Suspend or reactivate organisation `orgId` (registrar). */
  setOrganizationActive(orgId: number, active: boolean): Promise<SentTransaction> {
    return this.send("setOrganizationActive", () =>
      this.ledger.setOrganizationActive.populateTransaction(orgId, active),
    );
  }

  /** Onboard a member with the X25519 public key record keys will be wrapped to (registrar). */
  onboardMember(member: NewMember): Promise<SentTransaction> {
    const key = encryptionKeyHex(member.publicKey);
    return this.send("onboardMember", () =>
      this.ledger.onboardMember.populateTransaction(
        getAddress(member.account),
        member.role,
        member.orgId,
        key,
      ),
    );
  }

  /** Deactivate a member: every access check refuses it from the next block (registrar). */
  deactivateMember(account: string): Promise<SentTransaction> {
    return this.send("setMemberActive", () =>
      this.ledger.setMemberActive.populateTransaction(account, false),
    );
  }

  /** Reactivate a deactivated member (registrar). */
  reactivateMember(account: string): Promise<SentTransaction> {
    return this.send("setMemberActive", () =>
      this.ledger.setMemberActive.populateTransaction(account, true),
    );
  }

  /** Move a staff member to another staff role (registrar). */
  changeMemberRole(account: string, role: Role): Promise<SentTransaction> {
    return this.send("changeMemberRole", () =>
      this.ledger.changeMemberRole.populateTransaction(account, role),
    );
  }

  /** Set the "minimum necessary" policy of a staff role (governance admin). */
  setRolePolicy(role: Role, policy: RolePolicyMasks): Promise<SentTransaction> {
    return this.send("setRolePolicy", () =>
      this.ledger.setRolePolicy.populateTransaction(
        role,
        policy.read,
        policy.write,
        policy.emergencyRead,
      ),
    );
  }

  /** Pause anchoring, amending and granting for an incident (governance admin). */
  pause(): Promise<SentTransaction> {
    return this.send("pause", () => this.ledger.pause.populateTransaction());
  }

  /** Lift the pause (governance admin). */
  unpause(): Promise<SentTransaction> {
    return this.send("unpause", () => this.ledger.unpause.populateTransaction());
  }
}
