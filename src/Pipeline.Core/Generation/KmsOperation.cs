namespace Pipeline.Generation;

/// <summary>KMS API calls the generator emits; names match CloudTrail's <c>eventName</c>.</summary>
internal enum KmsOperation : byte
{
    Decrypt,
    Encrypt,
    GenerateDataKey,
    GenerateDataKeyWithoutPlaintext,
    ReEncrypt,
    DescribeKey,
    ListAliases,
    ListKeys,
    CreateGrant,
    PutKeyPolicy,
    CreateKey,
    ScheduleKeyDeletion,
    DisableKey,
    EnableKey,
    DisableKeyRotation,
    EnableKeyRotation,
    CancelKeyDeletion,
    CreateAlias,
    UpdateAlias,

    // Only planted by the anomalies scenario: never in the random mixes, so appending them keeps old output unchanged.
    DeleteImportedKeyMaterial,
    ReplicateKey,
    UpdatePrimaryRegion,
    DisconnectCustomKeyStore,
    ImportKeyMaterial,

    /// <summary>Not a call: KMS's own event (AwsServiceEvent) when it deletes a key at the end of its waiting period.</summary>
    DeleteKey,
}
