using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Pipeline.Diagnostics;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Ingest;

/// <summary>
/// Ingests local CloudTrail files into a dataset: reads several files at once, hands each completed file to the
/// shared <see cref="DatasetSink"/>, and records files in the ledger once their rows are published. A file that
/// fails contributes no rows at all; the others go on.
/// </summary>
internal sealed partial class LocalIngestRunner
{
    private readonly IngestOptions _options;
    private readonly ReaderOptions _readerOptions;
    private readonly SinkOptions _sinkOptions;
    private readonly IDatasetStore _store;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;

    public LocalIngestRunner(IngestOptions options, ReaderOptions readerOptions, SinkOptions sinkOptions, IDatasetStore store, TimeProvider time, ILoggerFactory loggers)
    {
        _options = options;
        _readerOptions = readerOptions;
        _sinkOptions = sinkOptions;
        _store = store;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<LocalIngestRunner>();
    }

    /// <summary>Progress of the current run, for a progress display; null before <see cref="RunAsync"/>.</summary>
    public IngestProgress? Progress { get; private set; }

    public async Task<IngestSummary> RunAsync(WalkResult walk, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        // The walk may still be counting the files (LocalArchiveWalker.Start): the progress gets its total when it is
        // done (at once, on this thread, when it already is).
        var progress = new IngestProgress(null);
        _ = walk.Counted.ContinueWith(
            static (counted, state) => ((IngestProgress)state!).TotalFiles = counted.Result.Files,
            progress,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        Progress = progress;
        var errors = new ConcurrentBag<IngestError>();

        var ledger = new ProcessedObjectLedger(_store, _time, _loggers.CreateLogger<ProcessedObjectLedger>());
        var writer = new ParquetPartitionWriter(_store, new ParquetPartitionWriterOptions { WriterId = _options.WriterId, RowGroupSize = _sinkOptions.RowGroupRows }, _time, _loggers.CreateLogger<ParquetPartitionWriter>());
        var skipped = 0;
        var notLogs = 0;
        var listed = 0;
        long bytesOut;
        long filesOut;
        long rowsOut;

        var sink = new DatasetSink(
            _sinkOptions,
            writer,
            (published, ct) => ledger.MarkProcessedAsync(published, ct),
            _time,
            _loggers.CreateLogger<DatasetSink>());
        // Files whose rows are not published yet (or failed to be): an entry leaves when its publish succeeds, so this
        // holds what is in flight plus the failures, not one entry per file of the archive.
        var unpublished = new ConcurrentDictionary<Task<PublishedSource>, string>();
        await using (sink.ConfigureAwait(false))
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(walk.Files, parallel, async (file, ct) =>
            {
                Interlocked.Increment(ref listed);
                var identity = SourceIdentity.ForLocalFile(file.Path, file.Length, file.LastWriteUtc.Ticks);
                if (!_options.Force && await ledger.IsProcessedAsync(identity, ct).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref skipped);
                    progress.FileSkipped();
                    LogAlreadyIngested(_logger, file.Path);
                    return;
                }

                var completion = await ReadFileAsync(file, identity, writer, sink, progress, errors, () => Interlocked.Increment(ref notLogs), ct).ConfigureAwait(false);
                if (completion is not null)
                {
                    unpublished[completion] = file.Path;
                    _ = completion.ContinueWith(
                        static (task, state) =>
                        {
                            if (task.IsCompletedSuccessfully)
                            {
                                ((ConcurrentDictionary<Task<PublishedSource>, string>)state!).TryRemove(task, out _);
                            }
                        },
                        unpublished,
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                }
            }).ConfigureAwait(false);

            await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
            filesOut = sink.FilesPublished;
            rowsOut = sink.RowsPublished;
            bytesOut = sink.BytesPublished;
        }

        foreach (var (published, path) in unpublished)
        {
            if (published.IsFaulted)
            {
                errors.Add(new IngestError(path, "writing its rows failed: " + published.Exception!.GetBaseException().Message, null, null));
            }
        }

        var counts = await walk.Counted.ConfigureAwait(false);
        foreach (var (folder, reason) in counts.Unreadable)
        {
            errors.Add(new IngestError(folder, $"{folder}: the folder cannot be listed ({reason}), so none of its files were read: fix its permissions and run again, or leave it out", null, null));
        }

        foreach (var archive in counts.PackedNamed)
        {
            errors.Add(new IngestError(archive, PackedFile.Explain(archive), null, null));
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        return new IngestSummary(
            listed - notLogs,
            skipped,
            counts.Digests,
            counts.Insights,
            counts.Others + notLogs,
            progress.Records,
            progress.KmsRows,
            rowsOut,
            filesOut,
            progress.BytesIn,
            progress.BytesDecompressed,
            bytesOut,
            _time.GetElapsedTime(started),
            cpu,
            errors.OrderBy(e => e.Source, StringComparer.Ordinal).ToList(),
            progress.DerivedEventIds)
        {
            PackedFilesSkipped = counts.Packed,
            PackedExamples = counts.PackedExamples,
        };
    }

    /// <summary>Whether a link's final target exists as a file of 0 bytes (an empty file, a FIFO, a device file).</summary>
    private static bool LinkTargetIsEmpty(string path)
    {
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true) is FileInfo { Exists: true, Length: 0 };
        }
        catch (IOException)
        {
            return false; // a loop of links, or one that cannot be followed: opening it fails and names the file
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private async Task<Task<PublishedSource>?> ReadFileAsync(
        LocalSource file,
        SourceIdentity identity,
        IPartitionFileWriter writer,
        DatasetSink sink,
        IngestProgress progress,
        ConcurrentBag<IngestError> errors,
        Action notALog,
        CancellationToken ct)
    {
        if ((file.Length == 0 && file.LastWriteUtc != DateTime.MinValue) || (file.IsLink && LinkTargetIsEmpty(file.Path)))
        {
            // Nothing to read, and not opened: a FIFO or a device file lists as 0 bytes too, and opening a FIFO waits
            // for a writer, which hung the whole run. An empty file named as a log is an error, as reading it would be.
            // (A file whose status could not be read lists as 0 bytes with no time: it is opened, and the error says why.)
            // A link lists with its own size (its identity in the ledger), so its target's is read here.
            if (!file.NamedAsLog)
            {
                notALog();
                progress.FileSkipped();
                LogNotALog(_logger, file.Path, "it is empty");
                return null;
            }

            errors.Add(new IngestError(file.Path, $"{file.Path}: the file is empty: 0 bytes (a FIFO or a device file also lists as 0 bytes, and is not opened); expected a gzip-compressed CloudTrail log document", null, null));
            progress.FileFailed(0);
            LogFileRejected(_logger, file.Path, "the file is empty: 0 bytes (or a FIFO or a device file, which is not opened)");
            return null;
        }

        var source = SourceContext.ForFile(file.Path, _time.GetUtcNow().UtcDateTime);
        var spill = new SpillingSource(writer);
        var collector = new KmsRecordCollector(source, _readerOptions, spill.SpillAsync, _sinkOptions.SpillBytes);
        long compressed = 0;
        try
        {
            // Unbuffered: the object reader reads ahead in pooled blocks of its own, and a FileStream buffer per file is garbage per file.
            var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            await using (stream.ConfigureAwait(false))
            {
                var result = await CloudTrailObjectReader.ReadAsync(stream, collector, source, _readerOptions, ct).ConfigureAwait(false);
                compressed = result.CompressedBytes;
                var published = await sink.AddAsync(identity, collector.Batch, spill.Staged, ct).ConfigureAwait(false);
                progress.FileRead(result.Records, result.KmsRecords, result.CompressedBytes, result.DecompressedBytes);
                LogFileRead(_logger, file.Path, result.Records, result.KmsRecords);
                if (result.DerivedEventIds > 0)
                {
                    LogDerivedEventIds(_logger, file.Path, result.DerivedEventIds);
                    progress.EventIdsDerived(result.DerivedEventIds);
                }
                return published;
            }
        }
        catch (CloudTrailFormatException ex) when (!file.NamedAsLog && ex.NotALogDocument)
        {
            // A JSON file the walk read in case it was a renamed log: it is not one, so it is passed over like any other file.
            await spill.DiscardAsync().ConfigureAwait(false);
            notALog();
            progress.FileSkipped();
            LogNotALog(_logger, file.Path, ex.Detail);
            return null;
        }
        catch (CloudTrailFormatException ex)
        {
            await spill.DiscardAsync().ConfigureAwait(false);
            errors.Add(new IngestError(file.Path, ex.Message, ex.ByteOffset, ex.RecordIndex));
            progress.FileFailed(compressed);
            LogFileRejected(_logger, file.Path, ex.Detail);
            return null;
        }
        catch (IOException ex)
        {
            await spill.DiscardAsync().ConfigureAwait(false);
            errors.Add(new IngestError(file.Path, $"{file.Path}: cannot be read: {ex.Message}", null, null));
            progress.FileFailed(compressed);
            LogFileRejected(_logger, file.Path, ex.Message);
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            await spill.DiscardAsync().ConfigureAwait(false);
            errors.Add(new IngestError(file.Path, $"{file.Path}: permission denied: {ex.Message}", null, null));
            progress.FileFailed(compressed);
            return null;
        }
        catch (OperationCanceledException)
        {
            await spill.DiscardAsync().ConfigureAwait(false);
            throw;
        }
    }

    [LoggerMessage(EventId = EventIds.Ingest + 1, Level = LogLevel.Debug, Message = "Read {Path}: {Records} records, {KmsRecords} KMS")]
    private static partial void LogFileRead(ILogger logger, string path, long records, long kmsRecords);

    [LoggerMessage(EventId = EventIds.Ingest + 2, Level = LogLevel.Error, Message = "Rejected {Path}: {Reason}. None of its rows were kept; fix or remove the file and run again")]
    private static partial void LogFileRejected(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = EventIds.Ingest + 4, Level = LogLevel.Warning, Message = "{Path}: {Count} KMS records have no eventID; they are stored with event_id no-event-id:<hash of the record> (an identical second delivery gets the same id)")]
    private static partial void LogDerivedEventIds(ILogger logger, string path, long count);

    [LoggerMessage(EventId = EventIds.Ingest + 5, Level = LogLevel.Debug, Message = "Skipped {Path}: not a CloudTrail log ({Reason})")]
    private static partial void LogNotALog(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = EventIds.Ingest + 3, Level = LogLevel.Debug, Message = "Skipped {Path}: already ingested (ledger); use --force to read it again")]
    private static partial void LogAlreadyIngested(ILogger logger, string path);
}
