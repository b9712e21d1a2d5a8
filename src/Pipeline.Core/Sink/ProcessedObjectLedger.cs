using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Pipeline.Sink;

/// <summary>
/// Records which source objects have been fully ingested, so a re-delivered object is skipped before it is
/// downloaded. This is an optimisation layer only: the marker is written after the object's Parquet files
/// were published, so a crash in between leaves no marker and the object is ingested again. The guarantee
/// against duplicates is the event-level dedupe of the <c>kms_events</c> view (and of compaction), which keeps
/// one row per <c>event_id</c>.
/// </summary>
/// <remarks>One JSON marker per identity at <c>_ledger/&lt;2 hex&gt;/&lt;sha256&gt;.json</c>; the fan-out keeps directories small.</remarks>
internal sealed class ProcessedObjectLedger
{
    private readonly IDatasetStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ProcessedObjectLedger(IDatasetStore store, TimeProvider? time = null, ILogger<ProcessedObjectLedger>? logger = null)
    {
        _store = store;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ProcessedObjectLedger>.Instance;
    }

    public static string MarkerPath(SourceIdentity identity)
    {
        var hash = identity.Hash;
        return DatasetLayout.LedgerDirectory + "/" + hash[..2] + "/" + hash + ".json";
    }

    public async Task<bool> IsProcessedAsync(SourceIdentity identity, CancellationToken cancellationToken)
    {
        var marker = await ReadMarkerAsync(identity, cancellationToken).ConfigureAwait(false);
        if (marker is null)
        {
            return false;
        }

        SinkLog.AlreadyProcessed(_logger, identity.ToString(), marker.Rows);
        return true;
    }

    /// <summary>Reads the marker of <paramref name="identity"/>; null when there is none or it is unreadable.</summary>
    public async Task<LedgerMarker?> ReadMarkerAsync(SourceIdentity identity, CancellationToken cancellationToken)
    {
        var path = MarkerPath(identity);
        var text = await _store.ReadTextAsync(path, cancellationToken).ConfigureAwait(false);
        if (text is null)
        {
            return null;
        }

        try
        {
            var marker = JsonSerializer.Deserialize(text, LedgerJsonContext.Default.LedgerMarker);

            // Compare the full identity, not just the hash, so that a marker can never vouch for another object.
            return marker is not null && marker.Kind == identity.Kind && marker.Location == identity.Location && marker.Version == identity.Version
                ? marker
                : null;
        }
        catch (JsonException e)
        {
            SinkLog.LedgerMarkerUnreadable(_logger, path, e);
            return null;
        }
    }

    /// <summary>
    /// Marks <paramref name="identity"/> as ingested. Call only after every file holding its rows is published
    /// (<paramref name="files"/> are their relative paths).
    /// </summary>
    public Task MarkProcessedAsync(SourceIdentity identity, long rows, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        var marker = new LedgerMarker(identity.Kind, identity.Location, identity.Version, rows, files, _time.GetUtcNow());
        var json = JsonSerializer.Serialize(marker, LedgerJsonContext.Default.LedgerMarker);
        // Markers are hints (event-level dedupe in kms_events is the guarantee), so they are not forced to disk.
        return _store.WriteTextAsync(MarkerPath(identity), json, cancellationToken, durable: false);
    }
}
