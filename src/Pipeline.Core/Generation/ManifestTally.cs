namespace Pipeline.Generation;

/// <summary>
/// Counts of one work item, merged into the manifest at the end (no locking on the hot path). Distinct counts are
/// exact without hash sets because the planner marks the second copy of every duplicate.
/// </summary>
internal sealed class ManifestTally
{
    public int Files;
    public long Records;
    public long KmsRecords;
    public long DistinctKms;
    public long DistinctActions;
    public long Uncompressed;
    public long Compressed;
    public Dictionary<DateOnly, long> ByDate { get; } = [];
    public Dictionary<string, long> ByName { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> DecryptByPrincipal { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> DecryptByKey { get; } = new(StringComparer.Ordinal);

    public void Count(in PlannedEvent e, Principal p, string? resourceKeyArn, int recipientAccountIndex)
    {
        Records++;
        if (!e.IsKms)
        {
            return;
        }

        KmsRecords++;
        if (e.IsDuplicateCopy)
        {
            return;
        }

        DistinctKms++;
        // A shared action is counted once, on the caller's copy (or the only copy for callers outside the org).
        if (e.SharedEventId == Guid.Empty || p.Account is null || p.Account.Index == recipientAccountIndex)
        {
            DistinctActions++;
        }

        Add(ByDate, DateOnly.FromDateTime(new DateTime(e.Ticks, DateTimeKind.Utc)));
        var name = KmsBodyWriter.Names[e.Operation];
        Add(ByName, name);
        if ((KmsOperation)e.Operation == KmsOperation.Decrypt)
        {
            // The key owner's copy of a cross-account call names only the caller's account, so that is its principal.
            Add(DecryptByPrincipal, RecordWriter.IsAccountOnlyCopy(e, p) ? $"arn:aws:iam::{p.AccountId}:root" : p.Normalized);
            if (resourceKeyArn is not null)
            {
                Add(DecryptByKey, resourceKeyArn);
            }
        }
    }

    public void MergeInto(GenerationManifest m)
    {
        m.Files += Files;
        m.Records += Records;
        m.KmsRecords += KmsRecords;
        m.DistinctKmsEventIds += DistinctKms;
        m.DistinctKmsActions += DistinctActions;
        m.UncompressedBytes += Uncompressed;
        m.CompressedBytes += Compressed;
        foreach (var (k, v) in ByDate)
        {
            Add(m.KmsEventIdsByDate, k.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), v);
        }

        foreach (var (k, v) in ByName) Add(m.KmsEventsByName, k, v);
        foreach (var (k, v) in DecryptByPrincipal) Add(m.DecryptByPrincipal, k, v);
        foreach (var (k, v) in DecryptByKey) Add(m.DecryptByKey, k, v);
    }

    private static void Add<TKey>(IDictionary<TKey, long> d, TKey key, long by = 1)
    {
        d.TryGetValue(key, out var v);
        d[key] = v + by;
    }
}
