using Pipeline.Generation;

namespace Pipeline.Tests.Generation;

/// <summary>Tests that generate their own archives (determinism, modes, size) into temp directories.</summary>
public sealed class GenerationRunTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "gen-run-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Same_seed_gives_identical_bytes_and_another_seed_differs()
    {
        var a = await Run("a", seed: 7);
        var b = await Run("b", seed: 7);
        var c = await Run("c", seed: 8);
        Assert.Equal(Snapshot(a), Snapshot(b));
        Assert.NotEqual(Snapshot(a), Snapshot(c));
    }

    [Fact]
    public async Task Single_file_mode_produces_exactly_one_log_file()
    {
        var dir = await Run("single", seed: 1, single: true);
        var logs = Directory.EnumerateFiles(dir, "*.json.gz", SearchOption.AllDirectories).Where(p => p.Contains("CloudTrail" + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList();
        Assert.Single(logs);
        using var doc = GeneratedArchiveFixture.Read(logs[0]);
        Assert.True(doc.RootElement.GetProperty("Records").GetArrayLength() > 100);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(4.0)]
    public async Task Size_target_is_honoured_within_a_quarter(double sizeMb)
    {
        var dir = Path.Combine(_root, "size" + sizeMb);
        var m = await ArchiveGenerator.GenerateAsync(GeneratedArchiveFixture.Options(dir, seed: 3, sizeMb: sizeMb, days: 2), null, CancellationToken.None);
        Assert.InRange(m.UncompressedBytes, sizeMb * 1048576 * 0.75, sizeMb * 1048576 * 1.25);
    }

    [Fact]
    public async Task Longer_delivery_interval_gives_fewer_files_with_the_same_records()
    {
        var fiveDir = Path.Combine(_root, "every5");
        var hourDir = Path.Combine(_root, "every60");
        var five = await ArchiveGenerator.GenerateAsync(GeneratedArchiveFixture.Options(fiveDir, seed: 5, sizeMb: 2, days: 1), null, CancellationToken.None);
        var hourly = await ArchiveGenerator.GenerateAsync(GeneratedArchiveFixture.Options(hourDir, seed: 5, sizeMb: 2, days: 1) with { DeliveryMinutes = 60 }, null, CancellationToken.None);

        Assert.True(hourly.Files * 3 < five.Files, $"expected far fewer files: {hourly.Files} hourly vs {five.Files} every 5 minutes");
        Assert.InRange(hourly.Records, five.Records * 0.99, five.Records * 1.01);
        Assert.InRange(hourly.KmsRecords, five.KmsRecords * 0.99, five.KmsRecords * 1.01);
        Assert.Equal(hourly.Files, LogFiles(hourDir).Count);

        // Same layout and file-name timestamps, now on the hour grid (plus the chain's minute offset of 0-4).
        var names = LogFiles(hourDir).Select(Path.GetFileName).ToList();
        Assert.All(names, n => Assert.Matches(@"^\d{12}_CloudTrail_[a-z0-9-]+_\d{8}T\d{2}5[5-9]Z_[A-Za-z0-9]{16}\.json\.gz$", n));
    }

    [Fact]
    public async Task Delivery_interval_out_of_range_is_rejected()
    {
        var options = GeneratedArchiveFixture.Options(Path.Combine(_root, "bad"), seed: 1, sizeMb: 1, days: 1) with { DeliveryMinutes = 4 };
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ArchiveGenerator.GenerateAsync(options, null, CancellationToken.None));
    }

    private static List<string> LogFiles(string dir) =>
        Directory.EnumerateFiles(dir, "*.json.gz", SearchOption.AllDirectories).Where(p => p.Contains("CloudTrail" + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private async Task<string> Run(string name, long seed, bool single = false)
    {
        var dir = Path.Combine(_root, name);
        await ArchiveGenerator.GenerateAsync(GeneratedArchiveFixture.Options(dir, seed, sizeMb: 1, days: 2, single: single), null, CancellationToken.None);
        return dir;
    }

    private static string Snapshot(string dir)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(f));
            sha.AppendData(File.ReadAllBytes(Path.Combine(dir, f)));
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
