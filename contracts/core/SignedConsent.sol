// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ISignedConsent} from "../interfaces/ISignedConsent.sol";
import {DelegateRegistry} from "./DelegateRegistry.sol";

/// @title SignedConsent
/// @notice Gasless consent for patients: EIP-712 signatures by the patient or a live delegate, relayed by anyone.
/// @dev A signature is bound to one chain and one contract (EIP-712 domain), to its signer (a field of the signed
/// struct, so one ERC-1271 signature cannot be replayed as another wallet's), to the grant's epoch (any direct
/// change or revocation for that grantee voids it), used once (a keyed nonce lane of its own signer), and only
/// before its deadline, which may lie at most `limits().maxSignatureLifetime` ahead. A signature is first tried as
/// an ECDSA signature of `signer` (malleable high-s signatures are refused); failing that, a `signer` with code is
/// asked through ERC-1271 with at most 100,000 gas, which also covers EIP-7702 accounts.
/// Nonces follow OpenZeppelin `NoncesKeyed` (a nonce is `key << 64 | sequence`, sequences used in order per key),
/// with one set of lanes per (patient, signer): a delegate never uses up the patient's nonces, and signatures in
/// different lanes (e.g. one per grantee) are independent.
abstract contract SignedConsent is DelegateRegistry, EIP712, ISignedConsent {
    /// @notice EIP-712 type hash of a grant.
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "GrantConsent(address patient,address signer,address grantee,uint16 categories,uint8 purposes,uint40 expiresAt,uint32 epoch,uint256 nonce,uint256 deadline)"
    );
    /// @notice EIP-712 type hash of a revocation.
    bytes32 public constant REVOKE_TYPEHASH = keccak256(
        "RevokeConsent(address patient,address signer,address grantee,uint32 epoch,uint256 nonce,uint256 deadline)"
    );
    /// @dev Gas given to a smart-account signer's `isValidSignature` (100,000); a wallet that needs more is refused.
    uint256 internal constant _ERC1271_GAS_LIMIT = 100_000;

    mapping(address patient => mapping(address signer => mapping(uint192 key => uint64))) internal _nonceLanes;

    constructor() EIP712("CareLedger", "1") {}

    /// @inheritdoc ISignedConsent
    function grantWithSig(
        address patient,
        address grantee,
        uint16 categories,
        uint8 purposes,
        uint40 expiresAt,
        uint32 epoch,
        uint256 nonce,
        uint256 deadline,
        address signer,
        bytes calldata signature
    ) external whenNotPaused {
        bytes32 structHash = keccak256(
            abi.encode(
                GRANT_TYPEHASH,
                patient,
                signer,
                grantee,
                categories,
                purposes,
                expiresAt,
                epoch,
                nonce,
                deadline
            )
        );
        _verify(patient, grantee, epoch, structHash, nonce, deadline, signer, signature);
        _grantAs(patient, grantee, categories, purposes, expiresAt, signer, 0);
        emit ConsentRelayed(patient, signer, msg.sender, nonce);
    }

    /// @inheritdoc ISignedConsent
    function revokeWithSig(
        address patient,
        address grantee,
        uint32 epoch,
        uint256 nonce,
        uint256 deadline,
        address signer,
        bytes calldata signature
    ) external {
        bytes32 structHash = keccak256(abi.encode(REVOKE_TYPEHASH, patient, signer, grantee, epoch, nonce, deadline));
        _verify(patient, grantee, epoch, structHash, nonce, deadline, signer, signature);
        _revokeAs(patient, grantee, signer);
        emit ConsentRelayed(patient, signer, msg.sender, nonce);
    }

    /// @inheritdoc ISignedConsent
    function invalidateNonce(address patient, uint192 key) external {
        uint64 used = _nonceLanes[patient][msg.sender][key];
        unchecked {
            _nonceLanes[patient][msg.sender][key] = used + 1;
        }
        emit NonceInvalidated(patient, msg.sender, (uint256(key) << 64) | used);
    }

    /// @inheritdoc ISignedConsent
    function nonces(address patient, address signer, uint192 key) external view returns (uint256 nonce) {
        return (uint256(key) << 64) | _nonceLanes[patient][signer][key];
    }

    /// @inheritdoc ISignedConsent
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32 separator) {
        return _domainSeparatorV4();
    }

    /// @dev Checks deadline, signature, epoch and nonce (consuming it), cheapest first.
    function _verify(
        address patient,
        address grantee,
        uint32 epoch,
        bytes32 structHash,
        uint256 nonce,
        uint256 deadline,
        address signer,
        bytes calldata signature
    ) private {
        if (block.timestamp > deadline) revert SignatureExpired(deadline, block.timestamp);
        uint256 latest;
        unchecked {
            latest = block.timestamp + _maxSignatureLifetime;
        }
        if (deadline > latest) revert DeadlineTooFar(deadline, latest);
        bytes32 digest = _hashTypedDataV4(structHash);
        // ECDSA first: the common EOA case never pays for a cold EXTCODESIZE.
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) {
            if (signer.code.length == 0) {
                // Re-run to revert with ECDSA's own precise error (high-s, length, invalid), else a mismatch.
                revert SignerMismatch(signer, ECDSA.recoverCalldata(digest, signature));
            }
            if (!_isValidERC1271(signer, digest, signature)) revert ERC1271SignatureRejected(signer);
        }
        uint32 current = _grants[patient][grantee].epoch;
        if (epoch != current) revert StaleConsentEpoch(epoch, current);
        uint192 key = uint192(nonce >> 64);
        uint64 sequence = _nonceLanes[patient][signer][key];
        if (uint64(nonce) != sequence) revert InvalidAccountNonce(signer, (uint256(key) << 64) | sequence);
        unchecked {
            // 2^64 signatures in one lane are out of reach.
            _nonceLanes[patient][signer][key] = sequence + 1;
        }
    }

    /// @dev ERC-1271 check with a gas cap; reads only the first 32 bytes returned (no return-data bomb).
    function _isValidERC1271(
        address signer,
        bytes32 digest,
        bytes calldata signature
    ) private view returns (bool valid) {
        bytes memory query = abi.encodeCall(IERC1271.isValidSignature, (digest, signature));
        uint256 gasLimit = _ERC1271_GAS_LIMIT;
        bytes4 magic = IERC1271.isValidSignature.selector;
        assembly ("memory-safe") {
            let ok := staticcall(gasLimit, signer, add(query, 0x20), mload(query), 0, 0x20)
            valid := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(0), magic)))
        }
    }
}
