namespace Pipeline.Ingest;

/// <summary>What an object in a CloudTrail bucket is, judged from its key alone (before any download).</summary>
internal enum CloudTrailObjectKind
{
    /// <summary>A log file with <c>Records</c>: the only kind we read.</summary>
    LogFile,

    /// <summary>An integrity digest (<c>CloudTrail-Digest/</c>): no Records, skipped.</summary>
    Digest,

    /// <summary>An Insights file (<c>CloudTrail-Insight/</c>): Insights events, not API calls, skipped.</summary>
    Insight,

    /// <summary>Anything else (console uploads, other tools' files): skipped.</summary>
    Other,
}
