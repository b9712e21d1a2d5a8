namespace Pipeline.Analysis;

/// <summary>The vocabulary of findings (serialised in snake_case, e.g. <c>key_deletion_scheduled</c>).</summary>
internal static class FindingKind
{
    public const string KeyDeletionScheduled = "key_deletion_scheduled";
    public const string KeyDeleted = "key_deleted";
    public const string KeyMaterialDeleted = "key_material_deleted";
    public const string KeyMaterialImported = "key_material_imported";
    public const string KeyDisabled = "key_disabled";
    public const string KeyPolicyChanged = "key_policy_changed";
    public const string GrantCreatedCrossAccount = "grant_created_cross_account";
    public const string KeyRotationDisabled = "key_rotation_disabled";
    public const string KeyReplicated = "key_replicated";
    public const string KeyDeletionCancelled = "key_deletion_cancelled";
    public const string AliasChanged = "alias_changed";
    public const string CustomKeyStoreChanged = "custom_key_store_changed";
    public const string DecryptVolumeAnomaly = "decrypt_volume_anomaly";
    public const string GenerateDataKeyVolumeAnomaly = "generate_data_key_volume_anomaly";
    public const string CryptoVolumeAnomaly = "crypto_volume_anomaly";
    public const string NewPrincipalForKey = "new_principal_for_key";
    public const string NewPrincipal = "new_principal";
    public const string CrossAccountDecrypt = "cross_account_decrypt";
    public const string ReEncryptedToExternalKey = "reencrypted_to_external_key";
    public const string EncryptedWithExternalKey = "encrypted_with_external_key";
    public const string AccessDeniedBurst = "access_denied_burst";
    public const string KeyChangeDenied = "key_change_denied";
    public const string DiscoveryBurst = "discovery_burst";
    public const string KmsCoverageGap = "kms_coverage_gap";
    public const string UnusableKeyInUse = "unusable_key_in_use";
    public const string RootUserActivity = "root_user_activity";

    public static readonly IReadOnlyList<string> All =
    [
        KeyDeletionScheduled, KeyDeleted, KeyMaterialDeleted, KeyMaterialImported, KeyDisabled, KeyPolicyChanged, GrantCreatedCrossAccount,
        KeyRotationDisabled, KeyReplicated, KeyDeletionCancelled, AliasChanged, CustomKeyStoreChanged, DecryptVolumeAnomaly, GenerateDataKeyVolumeAnomaly,
        CryptoVolumeAnomaly, NewPrincipalForKey, NewPrincipal, CrossAccountDecrypt, ReEncryptedToExternalKey, EncryptedWithExternalKey, AccessDeniedBurst, KeyChangeDenied, DiscoveryBurst, KmsCoverageGap, UnusableKeyInUse,
        RootUserActivity,
    ];
}
