/**
 * The admin client: registrar work (organisations, onboarding members with their X25519 public key,
 * activation, role changes) and governance work (role policy, pause). Which calls succeed depends on
 * the signer's roles: a registrar without the admin role gets a decoded `NotAuthorizedError` from
 * `setRolePolicy`, and the reverse.
 */
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
import { InvalidFieldError } from "../errors.js";
import type { CallOptions } from "../transport.js";
import {
  addressSchema,
  booleanSchema,
  callOptionsSchema,
  newMemberSchema,
  orgIdSchema,
  parseArgs,
  parseCallOptions,
  roleSchema,
  rolePolicySchema,
} from "../validate.js";

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
  async registerOrganization(orgId: number, options: CallOptions = {}): Promise<SentTransaction> {
    const args = parseArgs("registerOrganization", {
      orgId: [orgIdSchema, orgId],
      options: [callOptionsSchema, options],
    });
    return this.send(
      "registerOrganization",
      () => this.ledger.registerOrganization.populateTransaction(args.orgId),
      this.deadline(options),
    );
  }

  /** Suspend or reactivate organisation `orgId` (registrar). */
  async setOrganizationActive(
    orgId: number,
    active: boolean,
    options: CallOptions = {},
  ): Promise<SentTransaction> {
    const args = parseArgs("setOrganizationActive", {
      orgId: [orgIdSchema, orgId],
      active: [booleanSchema, active],
      options: [callOptionsSchema, options],
    });
    return this.send(
      "setOrganizationActive",
      () => this.ledger.setOrganizationActive.populateTransaction(args.orgId, args.active),
      this.deadline(options),
    );
  }

  /** Onboard a member with the X25519 public key record keys will be wrapped to (registrar). */
  async onboardMember(member: NewMember, options: CallOptions = {}): Promise<SentTransaction> {
    const args = parseArgs("onboardMember", {
      member: [newMemberSchema, member],
      options: [callOptionsSchema, options],
    });
    let key: string;
    try {
      key = encryptionKeyHex(member.publicKey);
    } catch (error) {
      throw new InvalidFieldError(
        "onboardMember",
        "member.publicKey",
        error instanceof Error ? error.message : String(error),
      );
    }
    const m = args.member;
    return this.send(
      "onboardMember",
      () => this.ledger.onboardMember.populateTransaction(m.account, m.role, m.orgId, key),
      this.deadline(options),
    );
  }

  /** Deactivate a member: every access check refuses it from the next block (registrar). */
  deactivateMember(account: string, options: CallOptions = {}): Promise<SentTransaction> {
    return this.setMemberActive("deactivateMember", account, false, options);
  }

  /** Reactivate a deactivated member (registrar). */
  reactivateMember(account: string, options: CallOptions = {}): Promise<SentTransaction> {
    return this.setMemberActive("reactivateMember", account, true, options);
  }

  private async setMemberActive(
    functionName: string,
    account: string,
    active: boolean,
    options: CallOptions,
  ): Promise<SentTransaction> {
    const args = parseArgs(functionName, {
      account: [addressSchema, account],
      options: [callOptionsSchema, options],
    });
    return this.send(
      "setMemberActive",
      () => this.ledger.setMemberActive.populateTransaction(args.account, active),
      this.deadline(options),
    );
  }

  /** Move a staff member to another staff role (registrar). */
  async changeMemberRole(
    account: string,
    role: Role,
    options: CallOptions = {},
  ): Promise<SentTransaction> {
    const args = parseArgs("changeMemberRole", {
      account: [addressSchema, account],
      role: [roleSchema, role],
      options: [callOptionsSchema, options],
    });
    return this.send(
      "changeMemberRole",
      () => this.ledger.changeMemberRole.populateTransaction(args.account, args.role),
      this.deadline(options),
    );
  }

  /** Set the "minimum necessary" policy of a staff role (governance admin). */
  async setRolePolicy(
    role: Role,
    policy: RolePolicyMasks,
    options: CallOptions = {},
  ): Promise<SentTransaction> {
    const args = parseArgs("setRolePolicy", {
      role: [roleSchema, role],
      policy: [rolePolicySchema, policy],
      options: [callOptionsSchema, options],
    });
    const p = args.policy;
    return this.send(
      "setRolePolicy",
      () =>
        this.ledger.setRolePolicy.populateTransaction(args.role, p.read, p.write, p.emergencyRead),
      this.deadline(options),
    );
  }

  /** Pause anchoring, amending and granting for an incident (governance admin). */
  async pause(options: CallOptions = {}): Promise<SentTransaction> {
    parseCallOptions("pause", options);
    return this.send(
      "pause",
      () => this.ledger.pause.populateTransaction(),
      this.deadline(options),
    );
  }

  /** Lift the pause (governance admin). */
  async unpause(options: CallOptions = {}): Promise<SentTransaction> {
    parseCallOptions("unpause", options);
    return this.send(
      "unpause",
      () => this.ledger.unpause.populateTransaction(),
      this.deadline(options),
    );
  }
}
