namespace Pipeline.Generation;

/// <summary>Inputs of <see cref="ArchiveGenerator"/>; the same options always produce byte-identical output.</summary>
internal sealed record GeneratorOptions
{
    public required string OutputDirectory { get; init; }

    public int Days { get; init; } = 30;

    /// <summary>Last delivery day (UTC), inclusive.</summary>
    public required DateOnly EndDate { get; init; }

    public long Seed { get; init; } = 42;

    /// <summary>Target total decompressed size of the log files, in bytes.</summary>
    public long TargetUncompressedBytes { get; init; } = 20L * 1024 * 1024;

    /// <summary>Write every record into one log file (memory tests on a very large file).</summary>
    public bool SingleFile { get; init; }

    /// <summary>
    /// Minutes between deliveries of one (account, region): AWS delivers about every 5 minutes (the default);
    /// longer intervals (up to 1440, one file a day) give fewer, bigger files for benchmarks.
    /// </summary>
    public int DeliveryMinutes { get; init; } = DefaultDeliveryMinutes;

    /// <summary>What to plant on top of the random organization; see <see cref="GeneratorScenario"/>.</summary>
    public GeneratorScenario Scenario { get; init; } = GeneratorScenario.None;

    public const int DefaultDeliveryMinutes = 5;
    public const int MaxDeliveryMinutes = 1440;

    public DateOnly StartDate => EndDate.AddDays(1 - Days);
}
