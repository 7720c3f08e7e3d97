// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice The accounts, organisation, clock and records every CareLedger Solidity test starts from.
/// Values are written out literally on purpose, not read from the contracts.
library Cast {
    address internal constant ADMIN = address(uint160(uint256(keccak256("careledger.test.admin"))));
    address internal constant REGISTRAR = address(uint160(uint256(keccak256("careledger.test.registrar"))));
    address internal constant PATIENT_1 = address(uint160(uint256(keccak256("careledger.test.patient1"))));
    address internal constant PATIENT_2 = address(uint160(uint256(keccak256("careledger.test.patient2"))));
    address internal constant DOCTOR = address(uint160(uint256(keccak256("careledger.test.doctor"))));
    address internal constant NURSE = address(uint160(uint256(keccak256("careledger.test.nurse"))));
    address internal constant CLERK = address(uint160(uint256(keccak256("careledger.test.clerk"))));
    address internal constant AUDITOR = address(uint160(uint256(keccak256("careledger.test.auditor"))));
    address internal constant RESPONDER = address(uint160(uint256(keccak256("careledger.test.responder"))));
    /// @dev Never onboarded.
    address internal constant OUTSIDER = address(uint160(uint256(keccak256("careledger.test.outsider"))));

    uint32 internal constant ORG = 7;
    /// @dev Start of every test: a realistic timestamp, far from zero.
    uint40 internal constant T0 = 1_700_000_000;
    uint48 internal constant ADMIN_DELAY = 1 days;
    uint32 internal constant BREAK_GLASS_MAX = 4 hours;
    uint32 internal constant BREAK_GLASS_HARD_CAP = 24 hours;
    /// @dev The fixture deploys and onboards one break-glass warm-up before `T0`, so every member may break the
    /// glass and take consent from `T0` on.
    uint40 internal constant ONBOARDED_AT = T0 - 1 hours;
    // Default limits of a new deployment.
    uint32 internal constant BREAK_GLASS_WARMUP = 1 hours;
    uint32 internal constant MAX_CONSENT_DURATION = 366 days;
    uint32 internal constant MAX_SIGNATURE_LIFETIME = 7 days;

    // Roles (uint8), categories and purposes, as in the README's "Access rules and defaults".
    uint8 internal constant NONE = 0;
    uint8 internal constant PATIENT = 1;
    uint8 internal constant DOCTOR_ROLE = 2;
    uint8 internal constant NURSE_ROLE = 3;
    uint8 internal constant CLERK_ROLE = 4;
    uint8 internal constant AUDITOR_ROLE = 5;
    uint8 internal constant RESPONDER_ROLE = 6;
    uint8 internal constant ROLE_COUNT = 7;
    uint8 internal constant CATEGORY_COUNT = 9;
    uint16 internal constant ALL_CATEGORIES = 0x1FF;
    uint8 internal constant PURPOSE_COUNT = 5;
    uint8 internal constant EMERGENCY = 4;
    uint8 internal constant ALL_PURPOSES = 0x1F;

    // AccessPath (uint8).
    uint8 internal constant PATH_NONE = 0;
    uint8 internal constant PATH_PATIENT = 1;
    uint8 internal constant PATH_CONSENT = 2;
    uint8 internal constant PATH_BREAK_GLASS = 3;

    /// @notice Number of accounts in `actor(i)`.
    uint256 internal constant ACTOR_COUNT = 8;

    /// @notice Both patients, then every staff role once, then a non-member.
    function actor(uint256 i) internal pure returns (address) {
        address[8] memory all = [PATIENT_1, PATIENT_2, DOCTOR, NURSE, CLERK, AUDITOR, RESPONDER, OUTSIDER];
        return all[i % ACTOR_COUNT];
    }

    /// @notice Patient `i % 2`.
    function patient(uint256 i) internal pure returns (address) {
        return i % 2 == 0 ? PATIENT_1 : PATIENT_2;
    }

    /// @notice The staff member onboarded with `role` (2..6).
    function staffOf(uint8 role) internal pure returns (address) {
        address[5] memory staff = [DOCTOR, NURSE, CLERK, AUDITOR, RESPONDER];
        return staff[role - DOCTOR_ROLE];
    }

    /// @notice Envelope hash of the record of `category` that `who` anchored for themself in the fixture.
    function contentHash(address who, uint8 category) internal pure returns (bytes32) {
        return keccak256(abi.encode("careledger.test.record", who, category));
    }

    /// @notice Id of that record: `keccak256(abi.encode(who, contentHash))`.
    function recordId(address who, uint8 category) internal pure returns (bytes32) {
        return keccak256(abi.encode(who, contentHash(who, category)));
    }
}
