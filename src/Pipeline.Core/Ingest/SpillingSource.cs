using Pipeline.Sink;

namespace Pipeline.Ingest;

/// <summary>
/// The staged (not yet visible) files of one object that was too large to keep in memory. They are published with
/// the object's last rows, or deleted if the object fails, so every object is all-or-nothing.
/// </summary>
internal sealed class SpillingSource(IPartitionFileWriter writer)
{
    private readonly List<IStagedPartitionFile> _staged = [];

    public IReadOnlyList<IStagedPartitionFile> Staged => _staged;

    public async ValueTask SpillAsync(KmsEventBatch batch, CancellationToken cancellationToken)
    {
        var byDay = RowRef.ByDay([batch]);
        foreach (var (day, rows) in byDay)
        {
            _staged.Add(await writer.WriteStagedAsync(day, rows, cancellationToken).ConfigureAwait(false));
        }
    }

    public async Task DiscardAsync()
    {
        foreach (var s in _staged)
        {
            await s.DiscardAsync().ConfigureAwait(false);
        }

        _staged.Clear();
    }
}
