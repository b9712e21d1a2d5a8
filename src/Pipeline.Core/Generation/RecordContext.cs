namespace Pipeline.Generation;

/// <summary>Everything the body writers need about the record being written; reused across records.</summary>
internal sealed class RecordContext
{
    public GenRandom Rng { get; } = new(0);

    public required Population Population { get; init; }

    public Principal Principal { get; set; } = null!;

    public KmsKey? Key { get; set; }

    /// <summary>The scenario stream that planned this call, or null for random traffic.</summary>
    public ScenarioStream? Stream { get; set; }

    public int RegionIndex { get; set; }

    public string Region { get; set; } = "";

    public DateTime Time { get; set; }

    /// <summary>Session name of an assumed-role caller for this call (used in ARNs and encryption contexts).</summary>
    public string Session { get; set; } = "";

    public string CallerAccountId => Principal.AccountId;
}
