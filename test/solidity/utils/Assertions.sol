// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice Minimal assertions for Solidity tests (forge-std is not installed). A failed assertion reverts with
/// a custom error carrying what was compared, which the test runner decodes in its failure report.
abstract contract Assertions {
    error AssertionFailed(string what);
    error NotEqualUint(string what, uint256 actual, uint256 expected);
    error NotEqualBytes32(string what, bytes32 actual, bytes32 expected);
    error NotEqualAddress(string what, address actual, address expected);
    error NotAtMost(string what, uint256 actual, uint256 limit);

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what);
    }

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert NotEqualUint(what, actual, expected);
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory what) internal pure {
        if (actual != expected) revert NotEqualBytes32(what, actual, expected);
    }

    function assertEq(address actual, address expected, string memory what) internal pure {
        if (actual != expected) revert NotEqualAddress(what, actual, expected);
    }

    function assertLe(uint256 actual, uint256 limit, string memory what) internal pure {
        if (actual > limit) revert NotAtMost(what, actual, limit);
    }

    /// @dev `x` mapped into `[lo, hi]` (inclusive); keeps every fuzzed value useful instead of rejecting it.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        return lo + (x % (hi - lo + 1));
    }

    /// @dev First four bytes of revert data (zero if there are none).
    function selectorOf(bytes memory revertData) internal pure returns (bytes4 sel) {
        if (revertData.length < 4) return bytes4(0);
        assembly {
            sel := mload(add(revertData, 32))
        }
    }
}
