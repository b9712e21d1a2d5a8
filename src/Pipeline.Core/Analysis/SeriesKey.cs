namespace Pipeline.Analysis;

/// <summary>What a volume series counts: one operation family for a principal, a key, or a (principal, key) pair.</summary>
internal readonly record struct SeriesKey(string Operation, string? Principal, string? Key)
{
    public string Describe() => (Principal, Key) switch
    {
        (not null, not null) => $"{Operation} by {Principal} on {Key}",
        (not null, null) => $"{Operation} by {Principal}",
        (null, not null) => $"{Operation} on {Key}",
        _ => Operation,
    };
}
