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
}
