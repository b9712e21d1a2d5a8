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
/// <remarks>
/// A marker per identity at <c>_ledger/&lt;2 hex&gt;/&lt;sha256&gt;.json</c> (the fan-out keeps directories small): a text of
/// JSON lines that includes the identity's line. The markers of one flush are written together; a local store gives
/// them one shared file through hard links, S3 one object each.
/// </remarks>
internal sealed class ProcessedObjectLedger
{
    private readonly IDatasetStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private readonly bool _stored;

    /// <param name="stored">False: nothing is read from or written to the store; the ledger answers from what this
    /// process marked (the worker's <c>Worker:Ledger=false</c>).</param>
    public ProcessedObjectLedger(IDatasetStore store, TimeProvider? time = null, ILogger<ProcessedObjectLedger>? logger = null, bool stored = true)
    {
        _store = store;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ProcessedObjectLedger>.Instance;
        _stored = stored;
    }

    public static string MarkerPath(SourceIdentity identity)
    {
        var hash = identity.Hash;
        return DatasetLayout.LedgerDirectory + "/" + hash[..2] + "/" + hash + ".json";
    }

    // Sources known to be ingested, newest last, bounded: those this process published, and every marker of the marker
    // files it read. Published: a marker whose write fails (a store throttling us) must not let a redelivery of the same
    // notification to this process, e.g. after its visibility ran out during a slow flush, publish the rows a second
    // time. Read: the markers of one flush share one file (hard links, one name per object, up to thousands of lines
    // for a flush of small files), so reading it once answers the lookups of all its objects; reading and parsing it
    // again for each of them made a re-run over an ingested folder ~100x slower than the first run.
    // Kept by digest (32 bytes each, ~1.5 MB when full) rather than by identity (its path and hash strings: ~20 MB).
    private const int KnownCapacity = 32_768;
    private readonly Dictionary<IdentityDigest, long> _known = [];
    private readonly Queue<IdentityDigest> _knownOrder = new();
    private readonly Lock _knownLock = new();

    public async Task<bool> IsProcessedAsync(SourceIdentity identity, CancellationToken cancellationToken)
    {
        long knownRows;
        bool known;
        lock (_knownLock)
        {
            known = _known.TryGetValue(identity.Digest, out knownRows);
        }

        if (known)
        {
            SinkLog.AlreadyProcessed(_logger, identity.ToString(), knownRows);
            return true;
        }

        var marker = _stored ? await ReadMarkerAsync(identity, cancellationToken).ConfigureAwait(false) : null;
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
            // Compare the full identity, not just the hash, so that a marker can never vouch for another object.
            var markers = ParseMarkers(text).ToList();
            if (markers.Count > 1)
            {
                Remember(markers.Select(m => (new SourceIdentity(m.Kind, m.Location, m.Version), m.Rows)));
            }

            return markers.FirstOrDefault(m => m.Kind == identity.Kind && m.Location == identity.Location && m.Version == identity.Version);
        }
        catch (JsonException e)
        {
            SinkLog.LedgerMarkerUnreadable(_logger, path, e);
            return null;
        }
    }

    /// <summary>
    /// Every marker in the text of a marker file: JSON lines (several when the file is shared by one flush's objects), or
    /// one indented object as written before markers became JSON lines. Throws <see cref="JsonException"/> on a bad line.
    /// </summary>
    internal static IEnumerable<LedgerMarker> ParseMarkers(string text)
    {
        var indented = text.Length > 1 && text[0] == '{' && text[1] is '\n' or '\r';
        foreach (var line in indented ? [text] : text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (JsonSerializer.Deserialize(line, LedgerJsonContext.Default.LedgerMarker) is { } marker)
            {
                yield return marker;
            }
        }
    }

    /// <summary>
    /// Marks every source of one flush as ingested, in one write to the store. Call only after every file holding
    /// their rows is published; each <see cref="PublishedSource.Identity"/> is a <see cref="SourceIdentity"/>.
    /// </summary>
    public Task MarkProcessedAsync(IReadOnlyList<PublishedSource> sources, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        Remember(sources.Select(source => ((SourceIdentity)source.Identity, source.Rows)));
        if (!_stored)
        {
            return Task.CompletedTask;
        }

        var entries = new List<(string, string)>(sources.Count);
        foreach (var source in sources)
        {
            var identity = (SourceIdentity)source.Identity;
            var marker = new LedgerMarker(identity.Kind, identity.Location, identity.Version, source.Rows, source.Files, now);
            entries.Add((MarkerPath(identity), JsonSerializer.Serialize(marker, LedgerJsonContext.Default.LedgerMarker)));
        }

        // Markers are hints (event-level dedupe in kms_events is the guarantee), so they are not forced to disk.
        return _store.WriteLinesAsync(entries, cancellationToken);
    }

    private void Remember(IEnumerable<(SourceIdentity Identity, long Rows)> sources)
    {
        lock (_knownLock)
        {
            foreach (var (identity, rows) in sources)
            {
                if (_known.TryAdd(identity.Digest, rows))
                {
                    _knownOrder.Enqueue(identity.Digest);
                }

                while (_knownOrder.Count > KnownCapacity)
                {
                    _known.Remove(_knownOrder.Dequeue());
                }
            }
        }
    }
}
