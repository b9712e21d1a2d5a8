using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.Tests.Generation;

public sealed class ArchiveLayoutTests(GeneratedArchiveFixture archive) : IClassFixture<GeneratedArchiveFixture>
{
    private static readonly Regex LogKey = new(
        @"^AWSLogs/o-[a-z0-9]{10}/(\d{12})/CloudTrail/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/\1_CloudTrail_\2_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$");

    [Fact]
    public void Generated_archive_uses_the_organization_trail_layout()
    {
        Assert.NotEmpty(archive.LogFiles);
        Assert.All(archive.LogFiles, f => Assert.Matches(LogKey, f));
        Assert.Equal(archive.Manifest.Files, archive.LogFiles.Count);
    }

    [Fact]
    public void Digest_files_exist_and_have_no_records()
    {
        Assert.NotEmpty(archive.DigestFiles);
        Assert.Equal(archive.Manifest.DigestFiles, archive.DigestFiles.Count);
        foreach (var f in archive.DigestFiles.Take(50))
        {
            using var doc = GeneratedArchiveFixture.Read(Path.Combine(archive.Root, f));
            Assert.False(doc.RootElement.TryGetProperty("Records", out _));
            Assert.True(doc.RootElement.TryGetProperty("logFiles", out _));
            Assert.True(doc.RootElement.TryGetProperty("digestEndTime", out _));
        }
    }

    [Fact]
    public void Some_events_are_delivered_on_a_later_date_than_they_happened()
    {
        var shifted = archive.Records.Count(x =>
        {
            var parts = x.File.Split('/');
            var folder = new DateOnly(int.Parse(parts[5], CultureInfo.InvariantCulture), int.Parse(parts[6], CultureInfo.InvariantCulture), int.Parse(parts[7], CultureInfo.InvariantCulture));
            return DateOnly.FromDateTime(x.Record.GetProperty("eventTime").GetDateTimeOffset().UtcDateTime) != folder;
        });
        Assert.True(shifted > 0);
    }
}
