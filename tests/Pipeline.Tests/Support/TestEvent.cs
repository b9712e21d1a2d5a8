namespace Pipeline.Tests.Support;

/// <summary>Values of one test row; unset optional columns stay null.</summary>
internal sealed record TestEvent(string EventId, DateTime EventTime)
{
    public string EventName { get; init; } = "Decrypt";

    public string? KeyArn { get; init; }

    public string? UserAgent { get; init; }

    public string? RequestParametersJson { get; init; }

    public bool? ReadOnly { get; init; } = true;

    public int? PendingWindowDays { get; init; }

    public bool IsCrossAccount { get; init; }

    public string SrcKey { get; init; } = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/a.json.gz";

    public int SrcRecordIndex { get; init; }

    public DateTime IngestTime { get; init; } = new(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc);
}
