// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Purposes
/// @notice Purposes of use (HL7 v3 PurposeOfUse: TREAT, HPAYMT, HOPERAT, HRESCH, ETREAT).
/// A single purpose is passed as its index (`uint8`), a set as a bitmask (`uint8`).
library Purposes {
    uint8 internal constant TREATMENT = 0;
    uint8 internal constant PAYMENT = 1;
    uint8 internal constant OPERATIONS = 2;
    uint8 internal constant RESEARCH = 3;
    uint8 internal constant EMERGENCY = 4;

    /// @notice Number of purposes; valid indices are `0 .. COUNT - 1`.
    uint8 internal constant COUNT = 5;
    /// @notice Bitmask with every purpose set.
    uint8 internal constant ALL = uint8((1 << COUNT) - 1);
    /// @notice Purposes under which a grantee may also write (anchor, amend, mark in error): treatment, payment,
    /// operations. A research-only or emergency-only grant never lets its grantee write.
    uint8 internal constant WRITE = uint8((1 << TREATMENT) | (1 << PAYMENT) | (1 << OPERATIONS));

    /// @notice Bit of purpose `index`. Callers range-check `index` first.
    function bit(uint8 index) internal pure returns (uint8) {
        return uint8(1) << index;
    }
}
