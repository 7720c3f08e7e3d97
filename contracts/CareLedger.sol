// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAccessRules} from "./interfaces/IAccessRules.sol";
import {IAuditedAccess} from "./interfaces/IAuditedAccess.sol";
import {IAuditTrail} from "./interfaces/IAuditTrail.sol";
import {IBreakGlass} from "./interfaces/IBreakGlass.sol";
import {ICareGovernance} from "./interfaces/ICareGovernance.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";
import {IDelegateRegistry} from "./interfaces/IDelegateRegistry.sol";
import {IMemberRegistry} from "./interfaces/IMemberRegistry.sol";
import {IRecordRegistry} from "./interfaces/IRecordRegistry.sol";
import {IRolePolicyRegistry} from "./interfaces/IRolePolicyRegistry.sol";
import {ISignedConsent} from "./interfaces/ISignedConsent.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {AuditedAccess} from "./core/AuditedAccess.sol";
import {BreakGlass} from "./core/BreakGlass.sol";
import {CareGovernance} from "./core/CareGovernance.sol";

/// @title CareLedger
/// @notice Members and roles, role policy, consent (direct, delegated and EIP-712 signed), record anchors, audited access and break-glass for
/// medical records on a permissioned EVM chain. Only hashes, category indices, addresses and times are
/// stored or emitted; health data never touches the chain.
/// @dev One contract composed of one-concern modules (see `contracts/core/`), so the hot paths (grant,
/// anchor, open) read members, policy and consent with plain SLOADs instead of cross-contract calls.
/// `multicall` (OpenZeppelin, a delegatecall to itself, so `msg.sender` is kept) batches any of its calls:
/// a patient granting several grantees, a clinician anchoring several records, in one transaction.
contract CareLedger is AuditedAccess, Multicall {
    /// @param admin the governance admin (sets policy, pauses, grants registrars)
    /// @param adminTransferDelay seconds a new admin waits before accepting the role
    /// @param initialRegistrar a first registrar, or zero for none
    /// @param breakGlassMaxDuration the longest break-glass window, in seconds (at most 24 h)
    constructor(
        address admin,
        uint48 adminTransferDelay,
        address initialRegistrar,
        uint32 breakGlassMaxDuration
    ) CareGovernance(adminTransferDelay, admin) BreakGlass(breakGlassMaxDuration) {
        if (initialRegistrar != address(0)) _grantRole(REGISTRAR_ROLE, initialRegistrar);
    }

    /// @notice ERC-165: the module interfaces, plus those of `AccessControlDefaultAdminRules`.
    /// @param interfaceId the interface id
    /// @return supported whether it is implemented
    function supportsInterface(bytes4 interfaceId) public view override returns (bool supported) {
        return
            interfaceId == type(ICareGovernance).interfaceId ||
            interfaceId == type(IMemberRegistry).interfaceId ||
            interfaceId == type(IRolePolicyRegistry).interfaceId ||
            interfaceId == type(IConsentRegistry).interfaceId ||
            interfaceId == type(IDelegateRegistry).interfaceId ||
            interfaceId == type(ISignedConsent).interfaceId ||
            interfaceId == type(IAuditTrail).interfaceId ||
            interfaceId == type(IBreakGlass).interfaceId ||
            interfaceId == type(IAccessRules).interfaceId ||
            interfaceId == type(IRecordRegistry).interfaceId ||
            interfaceId == type(IAuditedAccess).interfaceId ||
            super.supportsInterface(interfaceId);
    }
}
