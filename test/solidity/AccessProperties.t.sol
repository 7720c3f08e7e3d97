// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IAccessRules} from "../../contracts/interfaces/IAccessRules.sol";
import {IBreakGlass} from "../../contracts/interfaces/IBreakGlass.sol";
import {IConsentRegistry} from "../../contracts/interfaces/IConsentRegistry.sol";
import {IMemberRegistry} from "../../contracts/interfaces/IMemberRegistry.sol";
import {AccessPath, BreakGlassWindow, Incident, Member} from "../../contracts/types/CareTypes.sol";
import {CareLedgerFixture, callAs} from "./utils/CareLedgerFixture.sol";
import {GasProbe} from "./utils/GasProbe.sol";
import {Cast} from "./utils/Cast.sol";
import {vm} from "./utils/Vm.sol";

/// @notice Fuzzed properties from the DESIGN invariants: revoked or expired consent never grants again; without a
/// live grant, a role that allows the category, or an open break-glass window, `openRecord` reverts for every
/// role; a break-glass window never exceeds the maximum; grant and open cost the same gas whatever the history.
contract AccessPropertiesTest is CareLedgerFixture {
    function setUp() public {
        _deployFixture();
    }

    // ------------------------------------------------------------------ revoked or expired consent

    /// @notice After a consent ends (revoked, or expired: warped to its end or later), no sequence of
    /// narrowing, extending, warping, widening the role policy, (re)activating or re-roling the grantee, or
    /// grants by the other patient or to someone else gives the grantee consent access again.
    function testFuzz_revokedOrExpiredConsentNeverGrantsAgain(
        uint8 granteeSeed,
        uint16 categories,
        uint8 purposes,
        uint32 lifetime,
        bool byRevocation,
        uint32 endSeed,
        uint256[8] calldata ops
    ) public {
        address grantee = Cast.staffOf(uint8(bound(granteeSeed, Cast.DOCTOR_ROLE, Cast.CLERK_ROLE)));
        uint16 cats = uint16(bound(categories, 1, Cast.ALL_CATEGORIES));
        uint8 purps = uint8(bound(purposes, 1, Cast.ALL_PURPOSES));
        uint40 end = Cast.T0 + uint40(bound(lifetime, 1, 90 days));
        vm.prank(Cast.PATIENT_1);
        ledger.grantConsent(grantee, cats, purps, end);

        if (byRevocation) {
            vm.warp(Cast.T0 + bound(endSeed, 0, end - Cast.T0 - 1)); // while still live
            vm.prank(Cast.PATIENT_1);
            ledger.revokeConsent(grantee);
        } else {
            vm.warp(end + bound(endSeed, 0, 30 days)); // exactly at the (exclusive) end, or later
        }
        _assertNoConsentAccess(grantee);

        for (uint256 i = 0; i < ops.length; ++i) {
            _afterEnd(grantee, ops[i]);
            _assertNoConsentAccess(grantee);
        }
        // And every real open of the patient's records by the grantee is refused.
        for (uint8 c = 0; c < Cast.CATEGORY_COUNT; ++c) {
            (bool ok, ) = callAs(
                address(ledger),
                grantee,
                abi.encodeCall(ledger.openRecord, (Cast.recordId(Cast.PATIENT_1, c), uint8(c % Cast.PURPOSE_COUNT)))
            );
            assertTrue(!ok, "openRecord after the consent ended");
        }
    }

    function _afterEnd(address grantee, uint256 op) internal {
        uint256 kind = op % 9;
        uint256 a = op >> 8;
        if (kind == 0) {
            vm.expectRevert(abi.encodeWithSelector(IConsentRegistry.NoLiveConsent.selector, Cast.PATIENT_1, grantee));
            vm.prank(Cast.PATIENT_1);
            ledger.narrowConsent(grantee, uint16(bound(a, 1, Cast.ALL_CATEGORIES)), 1);
        } else if (kind == 1) {
            vm.expectRevert(abi.encodeWithSelector(IConsentRegistry.NoLiveConsent.selector, Cast.PATIENT_1, grantee));
            vm.prank(Cast.PATIENT_1);
            ledger.extendConsent(grantee, uint40(block.timestamp + 1 + (a % 365 days)));
        } else if (kind == 2) {
            vm.warp(block.timestamp + (a % 60 days));
        } else if (kind == 3) {
            uint8 role = _roleOf(grantee);
            vm.prank(Cast.ADMIN);
            ledger.setRolePolicy(role, Cast.ALL_CATEGORIES, Cast.ALL_CATEGORIES, uint16(a) & Cast.ALL_CATEGORIES);
        } else if (kind == 4) {
            vm.startPrank(Cast.REGISTRAR);
            ledger.setMemberActive(grantee, false);
            ledger.setMemberActive(grantee, true);
            vm.stopPrank();
        } else if (kind == 5) {
            uint8 to = uint8(Cast.DOCTOR_ROLE + (a % 3));
            if (to == _roleOf(grantee)) to = to == Cast.DOCTOR_ROLE ? Cast.NURSE_ROLE : Cast.DOCTOR_ROLE;
            vm.prank(Cast.REGISTRAR);
            ledger.changeMemberRole(grantee, to);
        } else if (kind == 6) {
            // The other patient's consent covers only the other patient.
            vm.prank(Cast.PATIENT_2);
            ledger.grantConsent(grantee, Cast.ALL_CATEGORIES, Cast.ALL_PURPOSES, uint40(block.timestamp + 30 days));
        } else if (kind == 7) {
            // A consent to someone else does not spill over.
            vm.prank(Cast.PATIENT_1);
            ledger.grantConsent(
                grantee == Cast.DOCTOR ? Cast.NURSE : Cast.DOCTOR,
                Cast.ALL_CATEGORIES,
                Cast.ALL_PURPOSES,
                uint40(block.timestamp + 30 days)
            );
        } else {
            // Revoking again: an expired consent is still stored (and can be deleted once); a revoked one is gone.
            (bool ok, bytes memory err) = callAs(
                address(ledger),
                Cast.PATIENT_1,
                abi.encodeCall(ledger.revokeConsent, (grantee))
            );
            if (!ok) assertEq(uint32(selectorOf(err)), uint32(IConsentRegistry.ConsentNotFound.selector), "revoke");
        }
    }

    /// @dev No consent access of `grantee` to patient 1 for any category and purpose, and no write.
    function _assertNoConsentAccess(address grantee) internal view {
        for (uint8 c = 0; c < Cast.CATEGORY_COUNT; ++c) {
            assertTrue(!ledger.canWrite(Cast.PATIENT_1, grantee, c), "canWrite after the consent ended");
            bytes32 id = Cast.recordId(Cast.PATIENT_1, c);
            for (uint8 u = 0; u < Cast.PURPOSE_COUNT; ++u) {
                assertTrue(!ledger.hasAccess(Cast.PATIENT_1, grantee, c, u), "hasAccess after the consent ended");
                assertTrue(ledger.canOpen(id, grantee, u) != AccessPath.Consent, "canOpen by consent after it ended");
            }
        }
    }

    function _roleOf(address account) internal view returns (uint8) {
        (Member memory m, ) = ledger.memberOf(account);
        return uint8(m.role);
    }

    // ------------------------------------------------------------------ every role is refused without a basis

    /// @notice For every staff role, with a fuzzed policy, a fuzzed consent (or none), a fuzzed break-glass
    /// window (or none) and a fuzzed elapsed time: `openRecord` passes exactly when the role reads the category
    /// and a live consent covers category and purpose, or the role may break-glass read the category and its
    /// window is open. Otherwise it reverts, and `canOpen` says `None`.
    function testFuzz_everyRoleIsRefusedWithoutGrantRoleOrWindow(
        uint256 seed,
        uint8 category,
        uint8 purpose,
        uint32 elapsed
    ) public {
        uint8 c = uint8(bound(category, 0, Cast.CATEGORY_COUNT - 1));
        uint8 u = uint8(bound(purpose, 0, Cast.PURPOSE_COUNT - 1));
        uint8[5] memory expectedPath;
        for (uint8 role = Cast.DOCTOR_ROLE; role < Cast.ROLE_COUNT; ++role) {
            expectedPath[role - Cast.DOCTOR_ROLE] = _arrange(
                role,
                uint256(keccak256(abi.encode(seed, role))),
                c,
                u,
                elapsed
            );
        }
        vm.warp(Cast.T0 + bound(elapsed, 0, 3 days));
        bytes32 id = Cast.recordId(Cast.PATIENT_1, c);
        for (uint8 role = Cast.DOCTOR_ROLE; role < Cast.ROLE_COUNT; ++role) {
            address staff = Cast.staffOf(role);
            uint8 expected = expectedPath[role - Cast.DOCTOR_ROLE];
            assertEq(uint8(ledger.canOpen(id, staff, u)), expected, "canOpen");
            (bool ok, bytes memory ret) = callAs(address(ledger), staff, abi.encodeCall(ledger.openRecord, (id, u)));
            if (expected == Cast.PATH_NONE) {
                assertTrue(!ok, "openRecord without a live grant, a role that reads the category, or a window");
            } else {
                assertTrue(ok, "openRecord with a basis");
                assertEq(abi.decode(ret, (uint8)), expected, "openRecord path");
            }
        }
    }

    /// @dev Give `role` a fuzzed policy, maybe a consent from patient 1 and maybe a window on patient 1 (all at T0);
    /// return the path an open of category `c` for purpose `u` must take after `elapsed` (bounded as the caller).
    function _arrange(uint8 role, uint256 x, uint8 c, uint8 u, uint32 elapsed) internal returns (uint8 path) {
        uint16 bit = uint16(1) << c;
        // Each mask contains `c` half the time, so both sides of every rule are exercised.
        uint16 read = (uint16(x) & Cast.ALL_CATEGORIES & ~bit) | ((x >> 16) % 2 == 0 ? bit : 0);
        uint16 emergency = (uint16(x >> 17) & Cast.ALL_CATEGORIES & ~bit) | ((x >> 33) % 2 == 0 ? bit : 0);
        vm.prank(Cast.ADMIN);
        ledger.setRolePolicy(role, read, 0, emergency);
        address staff = Cast.staffOf(role);
        uint40 now_ = Cast.T0 + uint40(bound(elapsed, 0, 3 days));

        bool consentCovers;
        if ((x >> 34) % 3 != 0) {
            uint16 cats = uint16(
                bound((uint16(x >> 36) & ~bit) | ((x >> 52) % 2 == 0 ? bit : 0), 1, Cast.ALL_CATEGORIES)
            );
            uint8 purps = uint8(
                bound((uint8(x >> 53) & ~uint8(1 << u)) | ((x >> 61) % 2 == 0 ? uint8(1 << u) : 0), 1, 0x1F)
            );
            uint40 end = Cast.T0 + 1 + uint40((x >> 62) % 2 days);
            vm.prank(Cast.PATIENT_1);
            ledger.grantConsent(staff, cats, purps, end);
            consentCovers = end > now_ && cats & bit != 0 && (purps >> u) & 1 == 1;
        }
        bool windowOpen;
        if ((x >> 100) % 3 != 0 && emergency != 0) {
            uint32 duration = uint32(1 + ((x >> 102) % Cast.BREAK_GLASS_MAX));
            vm.prank(staff);
            ledger.breakGlass(Cast.PATIENT_1, keccak256(abi.encode("why", x)), duration);
            windowOpen = Cast.T0 + duration > now_;
        }
        if (read & bit != 0 && consentCovers) return Cast.PATH_CONSENT;
        // A break-glass read is for the emergency purpose only.
        if (emergency & bit != 0 && windowOpen && u == Cast.EMERGENCY) return Cast.PATH_BREAK_GLASS;
        return Cast.PATH_NONE;
    }

    /// @notice A non-member, another patient (even holding a full consent), and a deactivated staff member
    /// (even holding a full consent and an open window) are refused for every category and purpose.
    function testFuzz_nonMembersPatientsAndDeactivatedStaffAreRefused(uint8 category, uint8 purpose) public {
        uint8 c = uint8(bound(category, 0, Cast.CATEGORY_COUNT - 1));
        uint8 u = uint8(bound(purpose, 0, Cast.PURPOSE_COUNT - 1));
        bytes32 id = Cast.recordId(Cast.PATIENT_1, c);
        uint40 end = Cast.T0 + 30 days;
        vm.startPrank(Cast.PATIENT_1);
        ledger.grantConsent(Cast.PATIENT_2, Cast.ALL_CATEGORIES, Cast.ALL_PURPOSES, end);
        ledger.grantConsent(Cast.DOCTOR, Cast.ALL_CATEGORIES, Cast.ALL_PURPOSES, end);
        vm.stopPrank();
        vm.prank(Cast.DOCTOR);
        ledger.breakGlass(Cast.PATIENT_1, keccak256("why"), Cast.BREAK_GLASS_MAX);
        vm.prank(Cast.REGISTRAR);
        ledger.setMemberActive(Cast.DOCTOR, false);

        _expectOpenRefused(
            Cast.OUTSIDER,
            id,
            u,
            abi.encodeWithSelector(IMemberRegistry.NotAMember.selector, Cast.OUTSIDER)
        );
        _expectOpenRefused(
            Cast.PATIENT_2,
            id,
            u,
            abi.encodeWithSelector(IAccessRules.CategoryNotAllowedForRole.selector, Cast.PATIENT_2, Cast.PATIENT, c)
        );
        _expectOpenRefused(
            Cast.DOCTOR,
            id,
            u,
            abi.encodeWithSelector(IMemberRegistry.MemberInactive.selector, Cast.DOCTOR)
        );
    }

    function _expectOpenRefused(address who, bytes32 id, uint8 u, bytes memory err) internal {
        assertEq(uint8(ledger.canOpen(id, who, u)), Cast.PATH_NONE, "canOpen");
        vm.expectRevert(err);
        vm.prank(who);
        ledger.openRecord(id, u);
    }

    // ------------------------------------------------------------------ break-glass window bound

    /// @notice Whatever maximum governance tries to set and whatever duration a responder asks for, a window
    /// that opens lasts exactly the asked duration, which is at most the maximum, itself at most 24 h; it is
    /// open one second before its end and closed at its end.
    function testFuzz_breakGlassWindowNeverExceedsMax(
        uint32 newMax,
        uint32 duration,
        bool byDoctor,
        uint32 probe
    ) public {
        uint32 max = Cast.BREAK_GLASS_MAX;
        vm.prank(Cast.ADMIN);
        if (newMax == 0 || newMax > Cast.BREAK_GLASS_HARD_CAP) {
            vm.expectRevert(
                abi.encodeWithSelector(IBreakGlass.BreakGlassCapExceeded.selector, newMax, Cast.BREAK_GLASS_HARD_CAP)
            );
            ledger.setBreakGlassMaxDuration(newMax);
        } else {
            ledger.setBreakGlassMaxDuration(newMax);
            max = newMax;
        }
        assertEq(ledger.breakGlassMaxDuration(), max, "max duration");

        address responder = byDoctor ? Cast.DOCTOR : Cast.RESPONDER;
        bytes32 why = keccak256("unconscious on arrival");
        // Half the runs ask for a duration in range, the other half for anything.
        uint32 asked = duration % 2 == 0 ? uint32(bound(duration, 1, max)) : duration;
        if (asked == 0 || asked > max) {
            vm.expectRevert(abi.encodeWithSelector(IBreakGlass.InvalidBreakGlassDuration.selector, asked, max));
            vm.prank(responder);
            ledger.breakGlass(Cast.PATIENT_1, why, asked);
            assertEq(ledger.breakGlassWindowOf(Cast.PATIENT_1, responder).expiresAt, 0, "no window");
            return;
        }
        vm.prank(responder);
        uint64 incidentId = ledger.breakGlass(Cast.PATIENT_1, why, asked);
        BreakGlassWindow memory w = ledger.breakGlassWindowOf(Cast.PATIENT_1, responder);
        Incident memory incident = ledger.incidentOf(incidentId);
        assertEq(w.incidentId, incidentId, "window incident");
        assertEq(w.expiresAt - Cast.T0, asked, "window length");
        assertLe(w.expiresAt - Cast.T0, max, "window <= max");
        assertLe(max, Cast.BREAK_GLASS_HARD_CAP, "max <= hard cap");
        assertEq(incident.expiresAt - incident.openedAt, asked, "incident length");

        bytes32 vitals = Cast.recordId(Cast.PATIENT_1, 3); // in both roles' emergency categories
        uint256 at = Cast.T0 + bound(probe, 0, 2 * uint256(Cast.BREAK_GLASS_HARD_CAP));
        vm.warp(at);
        uint8 expected = at < w.expiresAt ? Cast.PATH_BREAK_GLASS : Cast.PATH_NONE;
        assertEq(uint8(ledger.canOpen(vitals, responder, 4)), expected, "window open strictly before its end");
        vm.warp(w.expiresAt - 1);
        assertEq(uint8(ledger.canOpen(vitals, responder, 4)), Cast.PATH_BREAK_GLASS, "open one second before the end");
        vm.warp(w.expiresAt);
        assertEq(uint8(ledger.canOpen(vitals, responder, 4)), Cast.PATH_NONE, "closed at the end");
        (bool ok, ) = callAs(address(ledger), responder, abi.encodeCall(ledger.openRecord, (vitals, 4)));
        assertTrue(!ok, "openRecord at the end of the window");
    }

    // ------------------------------------------------------------------ O(1) gas

    /// @notice `grantConsent` and `openRecord` cost exactly the same gas after `n` other grants, records, opens
    /// and break-glass incidents as before them (same storage warmth on both sides: no loop over history).
    function testFuzz_grantAndOpenGasDoNotGrowWithHistory(uint8 n) public {
        GasProbe probe = new GasProbe();
        uint40 end = Cast.T0 + 30 days;
        // Warm up the slots both measurements share (patient, policy, pause flag, audit heads, doctor's consent).
        vm.prank(Cast.PATIENT_1);
        ledger.grantConsent(Cast.DOCTOR, Cast.ALL_CATEGORIES, Cast.ALL_PURPOSES, end);
        vm.prank(Cast.DOCTOR);
        ledger.openRecord(Cast.recordId(Cast.PATIENT_1, 0), 0);

        bytes memory grantA = abi.encodeCall(ledger.grantConsent, (_fresh("A"), 0x1F, 0x1F, end));
        bytes memory openA = abi.encodeCall(ledger.openRecord, (Cast.recordId(Cast.PATIENT_1, 4), 0));
        uint256 grantBefore = probe.gasOf(ledger, Cast.PATIENT_1, grantA);
        uint256 openBefore = probe.gasOf(ledger, Cast.DOCTOR, openA);

        uint256 rounds = bound(n, 1, 40);
        for (uint256 i = 0; i < rounds; ++i) {
            address other = _fresh(string(abi.encode(i)));
            vm.prank(Cast.PATIENT_1);
            ledger.grantConsent(other, 0x1F, 0x1F, end);
            vm.prank(Cast.PATIENT_2);
            ledger.grantConsent(other, 0x1F, 0x1F, end);
            bytes32 hash = keccak256(abi.encode("history", i));
            vm.prank(Cast.PATIENT_1);
            bytes32 id = ledger.anchorRecord(Cast.PATIENT_1, uint8(i % 7), hash); // 0..6: the doctor reads them
            vm.prank(Cast.DOCTOR);
            ledger.openRecord(id, uint8(i % Cast.PURPOSE_COUNT));
            vm.prank(Cast.RESPONDER);
            ledger.breakGlass(Cast.PATIENT_2, keccak256(abi.encode("why", i)), 1 hours);
        }

        bytes memory grantB = abi.encodeCall(ledger.grantConsent, (_fresh("B"), 0x1F, 0x1F, end));
        bytes memory openB = abi.encodeCall(ledger.openRecord, (Cast.recordId(Cast.PATIENT_1, 5), 0));
        assertEq(probe.gasOf(ledger, Cast.PATIENT_1, grantB), grantBefore, "grantConsent gas after history");
        assertEq(probe.gasOf(ledger, Cast.DOCTOR, openB), openBefore, "openRecord gas after history");
    }

    function _fresh(string memory tag) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("careledger.test.fresh", tag)))));
    }
}
