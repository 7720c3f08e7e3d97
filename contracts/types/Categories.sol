// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Categories
/// @notice The fixed set of data categories. A single category is passed as its index (`uint8`),
/// a set of categories as a bitmask (`uint16`) where bit `i` is category index `i`.
library Categories {
    uint8 internal constant DEMOGRAPHICS = 0;
    uint8 internal constant ALLERGIES = 1;
    uint8 internal constant MEDICATIONS = 2;
    uint8 internal constant VITALS = 3;
    uint8 internal constant LABS = 4;
    uint8 internal constant IMAGING = 5;
    uint8 internal constant CLINICAL_NOTES = 6;
    uint8 internal constant BILLING = 7;
    uint8 internal constant MENTAL_HEALTH = 8;

    /// @notice Number of categories; valid indices are `0 .. COUNT - 1`.
    uint8 internal constant COUNT = 9;
    /// @notice Bitmask with every category set.
    uint16 internal constant ALL = uint16((1 << COUNT) - 1);
    /// @notice Every category but billing.
    uint16 internal constant CLINICAL = ALL & ~uint16(1 << BILLING);

    /// @notice Bit of category `index`. Callers range-check `index` first.
    function bit(uint8 index) internal pure returns (uint16) {
        return uint16(1) << index;
    }
}
