// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {IAuditTrail} from "../interfaces/IAuditTrail.sol";
import {SignedConsent} from "./SignedConsent.sol";

/// @title AuditTrail
/// @notice Running hashes over every audited event, one global and one per patient.
/// @dev An entry is `keccak256(abi.encode(action, <the event's fields in declaration order>))`, where
/// `action` is the `AuditAction` of the event. Each entry folds as `head = keccak256(abi.encode(head, entry))`
/// from a zero head. Nothing ever rewrites a head except by folding a new entry on top.
abstract contract AuditTrail is SignedConsent, IAuditTrail {
    bytes32 internal _auditHead;
    mapping(address patient => bytes32) internal _patientAuditHeads;

    /// @inheritdoc IAuditTrail
    function auditHead() external view returns (bytes32 head) {
        return _auditHead;
    }

    /// @inheritdoc IAuditTrail
    function patientAuditHead(address patient) external view returns (bytes32 head) {
        return _patientAuditHeads[patient];
    }

    /// @dev Fold `entry` into the global head and the head of `patient`.
    function _appendAudit(address patient, bytes32 entry) internal {
        _auditHead = Hashes.efficientKeccak256(_auditHead, entry);
        _patientAuditHeads[patient] = Hashes.efficientKeccak256(_patientAuditHeads[patient], entry);
    }
}
