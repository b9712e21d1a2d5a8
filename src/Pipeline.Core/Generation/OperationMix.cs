namespace Pipeline.Generation;

/// <summary>Operation mix per usage profile: crypto reads dominate, management calls are rare.</summary>
internal static class OperationMix
{
    private static readonly (KmsOperation Op, int Weight)[] Lambda = [(KmsOperation.Decrypt, 92), (KmsOperation.Encrypt, 4), (KmsOperation.DescribeKey, 4)];
    private static readonly (KmsOperation Op, int Weight)[] S3 = [(KmsOperation.Decrypt, 60), (KmsOperation.GenerateDataKey, 40)];
    private static readonly (KmsOperation Op, int Weight)[] Ebs = [(KmsOperation.Decrypt, 50), (KmsOperation.GenerateDataKeyWithoutPlaintext, 40), (KmsOperation.ReEncrypt, 5), (KmsOperation.DescribeKey, 5)];
    private static readonly (KmsOperation Op, int Weight)[] App = [(KmsOperation.Decrypt, 55), (KmsOperation.Encrypt, 20), (KmsOperation.GenerateDataKey, 20), (KmsOperation.ReEncrypt, 5)];
    private static readonly (KmsOperation Op, int Weight)[] Secrets = [(KmsOperation.Decrypt, 85), (KmsOperation.GenerateDataKey, 15)];
    private static readonly (KmsOperation Op, int Weight)[] Trail = [(KmsOperation.GenerateDataKey, 100)];
    private static readonly (KmsOperation Op, int Weight)[] External = [(KmsOperation.Decrypt, 100)];

    private static readonly (KmsOperation Op, int Weight)[] Admin =
    [
        (KmsOperation.DescribeKey, 300), (KmsOperation.ListAliases, 200), (KmsOperation.ListKeys, 120), (KmsOperation.Decrypt, 100),
        (KmsOperation.CreateGrant, 40), (KmsOperation.PutKeyPolicy, 25), (KmsOperation.CreateKey, 15), (KmsOperation.EnableKeyRotation, 15),
        (KmsOperation.CreateAlias, 12), (KmsOperation.UpdateAlias, 10), (KmsOperation.DisableKey, 6), (KmsOperation.EnableKey, 6),
        (KmsOperation.DisableKeyRotation, 5), (KmsOperation.ScheduleKeyDeletion, 4), (KmsOperation.CancelKeyDeletion, 3),
    ];

    public static KmsOperation Pick(UsageProfile profile, GenRandom rng)
    {
        var table = profile switch
        {
            UsageProfile.LambdaEnvironment => Lambda,
            UsageProfile.S3OnBehalf => S3,
            UsageProfile.Ebs => Ebs,
            UsageProfile.Application => App,
            UsageProfile.SecretsManager => Secrets,
            UsageProfile.CloudTrailService => Trail,
            UsageProfile.ExternalReader => External,
            _ => Admin,
        };
        var total = 0;
        foreach (var (_, w) in table)
        {
            total += w;
        }

        var u = rng.Next(total);
        foreach (var (op, w) in table)
        {
            if (u < w)
            {
                return op;
            }

            u -= w;
        }

        return table[0].Op;
    }

    /// <summary>
    /// Picks like <see cref="Pick"/> but never a call the daily report flags, so a scenario's background stays quiet
    /// (re-drawing keeps the benign calls in their usual proportions).
    /// </summary>
    public static KmsOperation PickQuiet(UsageProfile profile, GenRandom rng)
    {
        while (true)
        {
            var op = Pick(profile, rng);
            if (!IsFinding(op))
            {
                return op;
            }
        }
    }

    /// <summary>Management calls that are findings of the daily report (CreateKey because it carries a policy).</summary>
    public static bool IsFinding(KmsOperation op) => op is KmsOperation.ScheduleKeyDeletion or KmsOperation.DeleteImportedKeyMaterial
        or KmsOperation.DisableKey or KmsOperation.PutKeyPolicy or KmsOperation.CreateKey or KmsOperation.CreateGrant
        or KmsOperation.DisableKeyRotation or KmsOperation.ReplicateKey or KmsOperation.UpdatePrimaryRegion or KmsOperation.CancelKeyDeletion;

    /// <summary>Events KMS writes for its own work (eventType AwsServiceEvent), which no principal calls.</summary>
    public static bool IsServiceEvent(KmsOperation op) => op == KmsOperation.DeleteKey;

    /// <summary>Whether the call acts on one key (List* and CreateKey do not name an existing key).</summary>
    public static bool NamesKey(KmsOperation op) => op is not (KmsOperation.ListAliases or KmsOperation.ListKeys or KmsOperation.CreateKey);

    /// <summary>CloudTrail's readOnly flag: crypto and read calls are read-only, management calls are not.</summary>
    public static bool IsReadOnly(KmsOperation op) => op <= KmsOperation.ListKeys;
}
