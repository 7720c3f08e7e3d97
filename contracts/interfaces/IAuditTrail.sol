// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title IAuditTrail
/// @notice Append-only audit heads. Every audited event (`RecordOpened`, `BreakGlassDeclared`,
/// `BreakGlassReviewed`) is hashed into an entry, and each entry is folded into the global head and the
/// patient's head: `head = keccak256(abi.encode(head, entry))`, starting from zero. An exported trail whose
/// fold equals the on-chain head is complete and unedited.
interface IAuditTrail {
    /// @notice The global audit head.
    /// @return head fold of every audit entry so far
    function auditHead() external view returns (bytes32 head);

    /// @notice The audit head of one patient.
    /// @param patient the patient
    /// @return head fold of every audit entry about `patient` so far
    function patientAuditHead(address patient) external view returns (bytes32 head);
}
