// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ConsentHandler} from "./handlers/ConsentHandler.sol";
import {CareLedgerFixture} from "./utils/CareLedgerFixture.sol";
import {Cast} from "./utils/Cast.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Plain fuzz tests: CareLedger's consent decisions against the reference model (`AccessModel`),
/// over random operation sequences and over single bounded scenarios.
contract ConsentModelFuzzTest is CareLedgerFixture {
    ConsentHandler internal handler;

    function setUp() public {
        _deployFixture();
        handler = new ConsentHandler(ledger);
    }

    /// @notice 24 random operations (grant / narrow / extend / revoke / warp / (de)activate / role and policy
    /// changes / break-glass / pause / anchor / open); after each, sampled views agree with the model, and at the
    /// end every view for every patient, actor, category, purpose and record does.
    /// hardhat-config: fuzz.runs = 128
    function testFuzz_randomSequenceAgreesWithModel(uint256[24] calldata ops) public {
        for (uint256 i = 0; i < ops.length; ++i) handler.step(ops[i]);
        handler.requireNoMismatch();
        vm.warp(handler.time());
        handler.checkAll();
    }

    /// @notice Long sequences from one seed (more state: expiries crossed, policies changed twice, ...).
    /// hardhat-config: fuzz.runs = 32
    function testFuzz_longSequenceAgreesWithModel(uint256 seed) public {
        for (uint256 i = 0; i < 160; ++i) handler.step(uint256(keccak256(abi.encode(seed, i))));
        handler.requireNoMismatch();
        vm.warp(handler.time());
        handler.checkAll();
    }

    /// @notice One grant, one policy change, one member status change and one warp, all bounded; then every
    /// (accessor, category, purpose) on the patient agrees with the model, and so does a real `openRecord`.
    function testFuzz_singleScenarioAgreesWithModel(
        uint256 patientSeed,
        uint256 granteeSeed,
        uint16 categories,
        uint8 purposes,
        uint32 lifetime,
        uint8 role,
        uint16 read,
        uint16 emergency,
        uint256 deactivateSeed,
        uint32 elapsed,
        uint8 category,
        uint8 purpose
    ) public {
        handler.grant(
            patientSeed << 2, // always a patient
            granteeSeed,
            categories & Cast.ALL_CATEGORIES,
            purposes & Cast.ALL_PURPOSES,
            (uint256(bound(lifetime, 1, 60 days)) << 4) | 1
        );
        handler.setRolePolicy(uint8(bound(role, Cast.DOCTOR_ROLE, Cast.ROLE_COUNT - 1)), read, read, emergency);
        if (deactivateSeed % 3 == 0) handler.setMemberActive(deactivateSeed >> 2, 0); // mode 0: deactivate
        handler.warp((uint256(elapsed) << 2) | 2); // a plain warp by elapsed % 3 days
        uint8 c = uint8(bound(category, 0, Cast.CATEGORY_COUNT - 1));
        uint8 u = uint8(bound(purpose, 0, Cast.PURPOSE_COUNT - 1));
        address patient = Cast.patient(patientSeed);
        for (uint256 i = 0; i < Cast.ACTOR_COUNT; ++i) {
            handler.open(_recordIndex(patient, c), i, u);
        }
        handler.requireNoMismatch();
        vm.warp(handler.time());
        handler.checkAll();
    }

    /// @notice A fixed long run exercises every operation (with successes and, where a refusal is likely,
    /// refusals) and every access path, so the random runs above are known to reach real successes.
    function test_handlerReachesEveryOperationAndPath() public {
        for (uint256 i = 0; i < 400; ++i) handler.step(uint256(keccak256(abi.encode("coverage", i))));
        handler.requireNoMismatch();
        string[11] memory succeedAndFail = [
            "grantConsent",
            "narrowConsent",
            "extendConsent",
            "revokeConsent",
            "changeMemberRole",
            "setRolePolicy",
            "breakGlass",
            "reviewBreakGlass",
            "setBreakGlassMaxDuration",
            "anchorRecord",
            "openRecord"
        ];
        for (uint256 i = 0; i < succeedAndFail.length; ++i) {
            assertTrue(handler.successes(succeedAndFail[i]) > 0, succeedAndFail[i]);
            assertTrue(handler.successes(succeedAndFail[i]) < handler.attempts(succeedAndFail[i]), succeedAndFail[i]);
        }
        string[3] memory succeed = ["setMemberActive", "pause", "unpause"];
        for (uint256 i = 0; i < succeed.length; ++i) assertTrue(handler.successes(succeed[i]) > 0, succeed[i]);
        for (uint256 path = 0; path < 4; ++path) assertTrue(handler.opensByPath(path) > 0, "every open path");
    }

    /// @dev `open(rec, ...)` index of the fixture record of (`patient`, `category`).
    function _recordIndex(address patient, uint8 category) internal pure returns (uint256) {
        return (patient == Cast.PATIENT_1 ? 0 : Cast.CATEGORY_COUNT) + category;
    }
}
