// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title ISignedConsent
/// @notice Consent granted or revoked by an EIP-712 signature of the patient or a live delegate, relayed by
/// anyone, so a patient needs no gas. Smart-account patients (ERC-1271, e.g. a Safe) sign too.
/// Domain: name "CareLedger", version "1", the chain id and this contract.
/// Types: `GrantConsent(address patient,address signer,address grantee,uint16 categories,uint8 purposes,
/// uint40 expiresAt,uint32 epoch,uint256 nonce,uint256 deadline)` and `RevokeConsent(address patient,
/// address signer,address grantee,uint32 epoch,uint256 nonce,uint256 deadline)`.
/// - `signer` is signed: a signature is valid for that signer only (never relayed as another wallet's).
/// - `epoch` is `consentOf(patient, grantee).epoch` when signing: a direct grant, narrowing, extension or any
///   revocation for that grantee moves it on and voids the signature (a direct revoke beats every older one).
/// - `nonce` is `key << 64 | sequence` in the signer's own lane `nonces(patient, signer, key)`; sequences are used
///   in order per key, keys are independent (the SDK uses the grantee's address as the key).
/// - `deadline` may lie at most `limits().maxSignatureLifetime` after the block the signature is relayed in.
interface ISignedConsent {
    /// @notice `relayer` submitted a consent change of `patient` signed by `signer`; the change itself emits the
    /// same event as a direct call.
    /// @param patient the patient
    /// @param signer the patient, or the delegate who signed
    /// @param relayer who sent the transaction
    /// @param nonce the nonce of the signer's lane that the signature used
    event ConsentRelayed(address indexed patient, address indexed signer, address indexed relayer, uint256 nonce);

    /// @notice `actor` used up nonce `nonce` of its own lane for `patient`, cancelling any signature that carries it.
    /// @param patient the patient
    /// @param actor the signer whose lane it is
    /// @param nonce the nonce cancelled
    event NonceInvalidated(address indexed patient, address indexed actor, uint256 nonce);

    /// @notice `nonce` is not the current nonce `currentNonce` of signer `account`'s lane (replayed, reused, skipped).
    error InvalidAccountNonce(address account, uint256 currentNonce);
    /// @notice The signature names grant epoch `epoch`, but the grant is at `currentEpoch`: a direct change or a
    /// revocation since it was signed voided it.
    error StaleConsentEpoch(uint32 epoch, uint32 currentEpoch);
    /// @notice The signature's deadline `deadline` lies after `latest`, the governance limit from now.
    error DeadlineTooFar(uint256 deadline, uint256 latest);
    /// @notice The signature's deadline `deadline` is before the current block time `currentTime`.
    error SignatureExpired(uint256 deadline, uint256 currentTime);
    /// @notice The signature recovers to `recovered`, not to the claimed `signer` (wrong chain, contract, fields).
    error SignerMismatch(address signer, address recovered);
    /// @notice Smart-account signer `signer` did not accept the signature (ERC-1271) within 100,000 gas.
    error ERC1271SignatureRejected(address signer);

    /// @notice Grant consent on behalf of `patient` with a signature by the patient or a live delegate.
    /// @param patient the patient (must be active)
    /// @param grantee the grantee
    /// @param categories category bitmask (within the delegate's scope if a delegate signed)
    /// @param purposes purpose-of-use bitmask
    /// @param expiresAt end of the grant (within the limits of `IConsentRegistry.grantConsent`, and of the
    /// delegation if a delegate signed)
    /// @param epoch the grant's epoch when signed (`consentOf(patient, grantee).epoch`)
    /// @param nonce the signer's current nonce in the lane it chose (`nonces(patient, signer, key)`)
    /// @param deadline last second the signature is valid
    /// @param signer the patient or delegate who signed (an EOA or an ERC-1271 contract)
    /// @param signature the EIP-712 signature (65 bytes for an EOA)
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
    ) external;

    /// @notice Revoke consent on behalf of `patient` with a signature by the patient or a live delegate (a delegate
    /// removes only the categories in its scope, as `IDelegateRegistry.revokeConsentFor`).
    /// @param patient the patient
    /// @param grantee the grantee
    /// @param epoch the grant's epoch when signed
    /// @param nonce the signer's current nonce in the lane it chose
    /// @param deadline last second the signature is valid
    /// @param signer the patient or delegate who signed
    /// @param signature the EIP-712 signature
    function revokeWithSig(
        address patient,
        address grantee,
        uint32 epoch,
        uint256 nonce,
        uint256 deadline,
        address signer,
        bytes calldata signature
    ) external;

    /// @notice Cancel the caller's signed but unrelayed consent change for `patient` in lane `key` by using up the
    /// lane's current nonce. Any account may use up its own lanes only. Allowed while paused.
    /// @param patient the patient
    /// @param key the lane
    function invalidateNonce(address patient, uint192 key) external;

    /// @notice The next nonce of `signer` for `patient` in lane `key` (`key << 64 | sequence`); a signature must
    /// carry exactly this value.
    /// @param patient the patient
    /// @param signer the patient or a delegate
    /// @param key the lane
    /// @return nonce the current nonce
    function nonces(address patient, address signer, uint192 key) external view returns (uint256 nonce);

    /// @notice The EIP-712 domain separator of this deployment on this chain.
    /// @return separator the domain separator
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32 separator);
}
