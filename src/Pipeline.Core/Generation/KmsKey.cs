namespace Pipeline.Generation;

/// <summary>
/// A customer managed key in one account and region. Multi-Region keys share their <c>mrk-</c> id across regions,
/// which is exactly how replicas look in CloudTrail (same id, different region in the ARN).
/// </summary>
internal sealed class KmsKey
{
    public KmsKey(OrgAccount account, string region, string keyId, string? alias)
    {
        Account = account;
        Region = region;
        KeyId = keyId;
        Alias = alias;
        Arn = $"arn:aws:kms:{region}:{account.Id}:key/{keyId}";
        AliasArn = alias is null ? null : $"arn:aws:kms:{region}:{account.Id}:{alias}";

        // Deterministic (FNV-1a) rather than string.GetHashCode, which is randomised per process.
        var h = 14695981039346656037UL;
        foreach (var c in Arn)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        KeyMaterialId = new GenRandom(h).Hex(64);
    }

    /// <summary>additionalEventData.keyMaterialId: stable per key, it names the key's current backing material.</summary>
    public string KeyMaterialId { get; }

    public OrgAccount Account { get; }

    public string Region { get; }

    public string KeyId { get; }

    public string? Alias { get; }

    public string Arn { get; }

    public string? AliasArn { get; }

    public bool IsMultiRegion => KeyId.StartsWith("mrk-", StringComparison.Ordinal);
}
