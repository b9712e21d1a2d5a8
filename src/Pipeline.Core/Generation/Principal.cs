namespace Pipeline.Generation;

/// <summary>
/// A caller of AWS APIs in the synthetic organization. Strings that appear in every record (ARNs, ids) are built once
/// here so that writing a record allocates little. <see cref="KmsDailyRate"/> is the unscaled mean number of KMS
/// calls per weekday; later scenarios can plant anomalies by changing it for a date range.
/// </summary>
internal sealed class Principal
{
    public required int Index { get; init; }

    public required PrincipalKind Kind { get; init; }

    public required OrgAccount? Account { get; init; }

    /// <summary>Account id of the caller; for <see cref="PrincipalKind.AwsAccount"/> an account outside the organization.</summary>
    public required string AccountId { get; init; }

    /// <summary>The normalised principal the manifest counts by (role ARN with path, user ARN, service:host, account root).</summary>
    public required string Normalized { get; init; }

    public required UsageProfile Profile { get; init; }

    public SessionStyle Sessions { get; init; }

    /// <summary>Role or user name.</summary>
    public string? Name { get; init; }

    /// <summary>Role ARN (with path) for assumed roles, user ARN for IAM users, root ARN for root.</summary>
    public string? Arn { get; init; }

    /// <summary>AROA… for roles, AIDA… for users, the account id for root.</summary>
    public string? PrincipalId { get; init; }

    /// <summary>Service host for AWSService identities and for calls a service makes on the principal's behalf.</summary>
    public string? InvokedBy { get; init; }

    /// <summary>Session names the principal cycles through (function names, instance ids, e-mails).</summary>
    public IReadOnlyList<string> SessionNames { get; init; } = [];

    public IReadOnlyList<string> UserAgents { get; init; } = [];

    public IReadOnlyList<string> SourceIps { get; init; } = [];

    /// <summary>Region indexes the principal works in.</summary>
    public required IReadOnlyList<int> Regions { get; init; }

    /// <summary>Keys usable per region index (may include keys owned by other accounts: cross-account use).</summary>
    public required IReadOnlyDictionary<int, KmsKey[]> KeysByRegion { get; init; }

    public double KmsDailyRate { get; init; }

    /// <summary>Added by the anomalies scenario: its KMS traffic is scripted, and it makes no background calls.</summary>
    public bool IsScenario { get; init; }

    public bool IsService => Kind == PrincipalKind.AwsService || InvokedBy is not null;
}
