using System.Globalization;
using System.Text.Json;

namespace Pipeline.Generation;

/// <summary>
/// Writes a synthetic organization-trail archive (log files, digests, manifest.json) that looks like AWS's record by
/// record. Work items are (region, delivery day); each has its own RNG derived from the seed and its identity, so
/// the output is byte-identical for the same options however the items are scheduled.
/// </summary>
internal static class ArchiveGenerator
{
    public const string ManifestFileName = "manifest.json";

    public static async Task<GenerationManifest> GenerateAsync(GeneratorOptions options, IProgress<GenerationProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Days < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Days must be at least 1.");
        }

        if (options.TargetUncompressedBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The size target must be positive.");
        }

        if (options.DeliveryMinutes is < GeneratorOptions.DefaultDeliveryMinutes or > GeneratorOptions.MaxDeliveryMinutes)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"DeliveryMinutes must be between {GeneratorOptions.DefaultDeliveryMinutes} and {GeneratorOptions.MaxDeliveryMinutes}.");
        }

        Directory.CreateDirectory(options.OutputDirectory);
        var pop = Population.Build(options.Seed);
        var scenario = options.Scenario == GeneratorScenario.Anomalies ? ScenarioPlan.Build(pop, options) : null;
        var sizing = options;
        if (scenario is not null)
        {
            pop = scenario.Population;
            // The scripted traffic has absolute rates; the random background fills what is left of the size target.
            var left = Math.Max(options.TargetUncompressedBytes / 10, options.TargetUncompressedBytes - scenario.EstimatedBytes(options));
            sizing = options with { TargetUncompressedBytes = left };
        }

        var scale = SizeCalibrator.Scale(pop, sizing);
        var planner = new DayPlanner(pop, scale, scenario);
        var items = (from d in Enumerable.Range(0, options.Days) from r in Enumerable.Range(0, pop.Regions.Count) select (Region: r, Day: options.StartDate.AddDays(d))).ToArray();
        var tallies = new ManifestTally[items.Length];
        var files = new List<LogFileInfo>[items.Length];
        var state = new ProgressState(options.TargetUncompressedBytes, progress);

        if (options.SingleFile)
        {
            var tally = new ManifestTally();
            files[0] = [WriteSingleFile(options, pop, scenario, planner, items, tally, state, ct)];
            tallies[0] = tally;
        }
        else
        {
            var parallel = new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount };
            await Parallel.ForEachAsync(Enumerable.Range(0, items.Length), parallel, (i, token) =>
            {
                var tally = new ManifestTally();
                files[i] = WriteDay(options, pop, scenario, planner, items[i].Region, items[i].Day, tally, state, token);
                tallies[i] = tally;
                return ValueTask.CompletedTask;
            }).ConfigureAwait(false);
        }

        var manifest = new GenerationManifest
        {
            Seed = options.Seed,
            Days = options.Days,
            EndDate = options.EndDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            OrganizationId = pop.OrganizationId,
            Accounts = pop.Accounts.Select(a => a.Id).ToArray(),
            Regions = pop.Regions,
        };
        foreach (var t in tallies.Where(t => t is not null))
        {
            t.MergeInto(manifest);
        }

        manifest.DigestFiles = WriteDigests(options, pop, files.Where(f => f is not null).SelectMany(f => f), ct);
        var indented = new JsonSerializerOptions { WriteIndented = true };
        await using (var stream = File.Create(Path.Combine(options.OutputDirectory, ManifestFileName)))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, indented, ct).ConfigureAwait(false);
        }

        if (scenario is not null)
        {
            manifest.Scenario = scenario.AnswerKey;
            await using var stream = File.Create(Path.Combine(options.OutputDirectory, ScenarioAnswerKey.FileName));
            await JsonSerializer.SerializeAsync(stream, scenario.AnswerKey, indented, ct).ConfigureAwait(false);
        }

        return manifest;
    }

    private static List<LogFileInfo> WriteDay(GeneratorOptions options, Population pop, ScenarioPlan? scenario, DayPlanner planner, int region, DateOnly day,
        ManifestTally tally, ProgressState state, CancellationToken ct)
    {
        var events = planner.Plan(options.Seed, region, day);
        var writer = new RecordWriter(pop, scenario);
        var result = new List<LogFileInfo>();
        var i = 0;
        while (i < events.Count)
        {
            ct.ThrowIfCancellationRequested();
            var account = events[i].Recipient;
            var period = DeliveryPeriod(events[i].Slot, options.DeliveryMinutes);
            // Each (account, region) delivers at its own minute within the 5-minute period.
            var offset = (int)(GenRandom.Mix(options.Seed, [account, region]) % 5);
            var delivered = DeliveryTime(day, period, options.DeliveryMinutes).AddMinutes(offset);
            var unique = GenRandom.Derive(options.Seed, 3, account, region, delivered.Ticks).AlnumString(16);
            var key = ArchiveLayout.LogKey(pop, account, region, delivered, unique);
            using var file = new LogFileWriter(ArchiveLayout.FullPath(options.OutputDirectory, key));
            for (; i < events.Count && events[i].Recipient == account && DeliveryPeriod(events[i].Slot, options.DeliveryMinutes) == period; i++)
            {
                var e = events[i];
                file.Write(writer, e, region);
                tally.Count(e, pop.Principals[e.Principal], writer.ResourceKeyArn, account);
            }

            var (uncompressed, compressed, hash, oldest, newest) = file.Finish();
            tally.Files++;
            tally.Uncompressed += uncompressed;
            tally.Compressed += compressed;
            result.Add(new LogFileInfo(account, region, delivered, key, hash, oldest, newest));
            state.Add(uncompressed, 1);
        }

        return result;
    }

    /// <summary>The delivery period (of <paramref name="deliveryMinutes"/>) that a planned 5-minute slot falls in.</summary>
    internal static int DeliveryPeriod(int slot, int deliveryMinutes) => slot * 5 / deliveryMinutes;

    /// <summary>
    /// Start of the last 5-minute slot of a delivery period (before the per-chain minute offset): every event of the
    /// period is dated before it. With the default 5 minutes this is the slot's own time, as before.
    /// </summary>
    internal static DateTime DeliveryTime(DateOnly day, int period, int deliveryMinutes)
    {
        var minutes = Math.Min((period * deliveryMinutes) + deliveryMinutes - 5, (DayPlanner.SlotsPerDay - 1) * 5);
        return day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddMinutes(minutes);
    }

    private static LogFileInfo WriteSingleFile(GeneratorOptions options, Population pop, ScenarioPlan? scenario, DayPlanner planner, (int Region, DateOnly Day)[] items,
        ManifestTally tally, ProgressState state, CancellationToken ct)
    {
        var delivered = DayPlanner.SlotTime(options.EndDate, DayPlanner.SlotsPerDay - 1);
        var unique = GenRandom.Derive(options.Seed, 3, 0, 0, delivered.Ticks).AlnumString(16);
        var key = ArchiveLayout.LogKey(pop, 0, 0, delivered, unique);
        var writer = new RecordWriter(pop, scenario);
        using var file = new LogFileWriter(ArchiveLayout.FullPath(options.OutputDirectory, key));
        long reported = 0;
        foreach (var (region, day) in items)
        {
            ct.ThrowIfCancellationRequested();
            // Planned one day at a time, so memory stays flat however large the file grows.
            foreach (var e in planner.Plan(options.Seed, region, day))
            {
                file.Write(writer, e, region);
                tally.Count(e, pop.Principals[e.Principal], writer.ResourceKeyArn, e.Recipient);
            }

            state.Add(file.UncompressedBytes - reported, 0);
            reported = file.UncompressedBytes;
        }

        var (uncompressed, compressed, hash, oldest, newest) = file.Finish();
        tally.Files = 1;
        tally.Uncompressed = uncompressed;
        tally.Compressed = compressed;
        state.Add(uncompressed - reported, 1);
        return new LogFileInfo(0, 0, delivered, key, hash, oldest, newest);
    }

    private static int WriteDigests(GeneratorOptions options, Population pop, IEnumerable<LogFileInfo> files, CancellationToken ct)
    {
        var byChain = files.GroupBy(f => (f.Account, f.Region)).ToDictionary(g => g.Key, g => g.OrderBy(f => f.Delivered).ThenBy(f => f.Key, StringComparer.Ordinal).ToList());
        var chains = (from a in Enumerable.Range(0, pop.Accounts.Count) from r in Enumerable.Range(0, pop.Regions.Count) select (a, r)).ToArray();
        var total = 0;
        Parallel.ForEach(chains, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount }, chain =>
        {
            var list = byChain.TryGetValue(chain, out var l) ? l : [];
            var n = DigestWriter.WriteChain(options.OutputDirectory, pop, options.Seed, chain.a, chain.r, options.StartDate, options.Days, list);
            Interlocked.Add(ref total, n);
        });
        return total;
    }
}
