namespace Pipeline.Generation;

/// <summary>
/// One scripted series of KMS calls of the anomalies scenario: a principal calling one operation on one key at an
/// absolute daily rate (not scaled by the size target, so the statistics the answer key promises hold at any size),
/// optionally with an exact count on the report day. Planted management calls are streams with a report-day count of 1.
/// </summary>
internal sealed class ScenarioStream
{
    public required Principal Principal { get; init; }

    public required KmsOperation Operation { get; init; }

    public required KmsKey Key { get; init; }

    /// <summary>Region index of <see cref="Key"/>: calls are logged in the key's Region.</summary>
    public required int Region { get; init; }

    /// <summary>Poisson mean of calls on a weekday before the report day.</summary>
    public double WeekdayRate { get; init; }

    /// <summary>Poisson mean on Saturdays and Sundays (the background's 0.55 unless a decoy wants a stronger pattern).</summary>
    public double WeekendRate { get; init; }

    /// <summary>First day with calls (a principal that appears mid-window); null for the whole window.</summary>
    public DateOnly? ActiveFrom { get; init; }

    /// <summary>Exact number of calls on the report day (planted in working hours, no duplicate copies); null: the usual rate.</summary>
    public int? ReportDayCount { get; init; }

    /// <summary>Guarantees at least one call every so many days, so a low-volume series is never "new" (0 = off).</summary>
    public int HeartbeatDays { get; init; }

    public ErrorMode Error { get; init; } = ErrorMode.None;

    /// <summary>ScheduleKeyDeletion's pendingWindowInDays.</summary>
    public int? PendingWindowInDays { get; init; }

    /// <summary>CreateGrant's granteePrincipal (the grant allows Decrypt).</summary>
    public string? Grantee { get; init; }

    /// <summary>PutKeyPolicy writes a policy that lets anyone decrypt and bypasses the lockout check.</summary>
    public bool OpenPolicy { get; init; }

    /// <summary>ReplicateKey's replicaRegion.</summary>
    public string? ReplicaRegion { get; init; }

    /// <summary>ReEncrypt's destination key (an ARN, as a key of another account must be named), instead of the source key.</summary>
    public string? DestinationKeyArn { get; init; }
}
