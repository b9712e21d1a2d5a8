using Pipeline.Sink;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Sink;

public sealed class ProcessedObjectLedgerTests : IDisposable
{
    private readonly TempDataset _dataset = new();

    public void Dispose() => _dataset.Dispose();

    [Fact]
    public async Task A_marked_s3_object_is_processed_and_another_etag_is_not()
    {
        var ledger = new ProcessedObjectLedger(_dataset.Store);
        var identity = SourceIdentity.ForS3("trail-bucket", "AWSLogs/1/CloudTrail/a.json.gz", "\"abc\"");

        Assert.False(await ledger.IsProcessedAsync(identity, CancellationToken.None));
        await ledger.MarkProcessedAsync(identity, 42, ["kms_events/event_date=2024-05-01/part-x.parquet"], CancellationToken.None);

        Assert.True(await ledger.IsProcessedAsync(identity, CancellationToken.None));
        Assert.True(await ledger.IsProcessedAsync(SourceIdentity.ForS3("trail-bucket", "AWSLogs/1/CloudTrail/a.json.gz", "abc"), CancellationToken.None));
        Assert.False(await ledger.IsProcessedAsync(SourceIdentity.ForS3("trail-bucket", "AWSLogs/1/CloudTrail/a.json.gz", "abd"), CancellationToken.None));
        Assert.False(await ledger.IsProcessedAsync(SourceIdentity.ForS3("other-bucket", "AWSLogs/1/CloudTrail/a.json.gz", "abc"), CancellationToken.None));
        var marker = await ledger.ReadMarkerAsync(identity, CancellationToken.None);
        Assert.Equal(42, marker!.Rows);
        Assert.Equal(["kms_events/event_date=2024-05-01/part-x.parquet"], marker.Files);
    }

    [Fact]
    public async Task A_local_file_with_another_size_or_write_time_is_not_processed()
    {
        var ledger = new ProcessedObjectLedger(_dataset.Store);
        var path = Path.Combine(_dataset.Root, "in.json");
        await ledger.MarkProcessedAsync(SourceIdentity.ForLocalFile(path, 100, 5), 1, [], CancellationToken.None);

        Assert.True(await ledger.IsProcessedAsync(SourceIdentity.ForLocalFile(path, 100, 5), CancellationToken.None));
        Assert.False(await ledger.IsProcessedAsync(SourceIdentity.ForLocalFile(path, 101, 5), CancellationToken.None));
        Assert.False(await ledger.IsProcessedAsync(SourceIdentity.ForLocalFile(path, 100, 6), CancellationToken.None));
    }

    [Fact]
    public async Task The_marker_is_written_atomically_under_a_fanned_out_hash_path()
    {
        var ledger = new ProcessedObjectLedger(_dataset.Store);
        var identity = SourceIdentity.ForS3("b", "k", "e");
        await ledger.MarkProcessedAsync(identity, 1, [], CancellationToken.None);
        await ledger.MarkProcessedAsync(identity, 2, [], CancellationToken.None);

        var hash = identity.Hash;
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(["_ledger", "_ledger/" + hash[..2], "_ledger/" + hash[..2] + "/" + hash + ".json"], _dataset.AllFiles().Order(StringComparer.Ordinal));
        Assert.Equal(2, (await ledger.ReadMarkerAsync(identity, CancellationToken.None))!.Rows);
    }

    [Fact]
    public async Task A_corrupt_marker_counts_as_not_processed()
    {
        var ledger = new ProcessedObjectLedger(_dataset.Store);
        var identity = SourceIdentity.ForS3("b", "k", "e");
        await _dataset.Store.WriteTextAsync(ProcessedObjectLedger.MarkerPath(identity), "{not json", CancellationToken.None);

        Assert.False(await ledger.IsProcessedAsync(identity, CancellationToken.None));
    }
}
