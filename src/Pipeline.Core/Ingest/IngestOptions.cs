using System.ComponentModel.DataAnnotations;

namespace Pipeline.Ingest;

/// <summary>Settings of a local ingestion run.</summary>
internal sealed class IngestOptions
{
    /// <summary>Objects read at the same time (default: one per core).</summary>
    [Range(1, 256)]
    public int Parallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Read objects again even if the ledger says they were ingested (the <c>kms_events</c> view still shows each event once).</summary>
    public bool Force { get; set; }

    /// <summary>Identifies this writer in file names (<c>part-&lt;writer&gt;-…</c>); defaults to the host name.</summary>
    public string WriterId { get; set; } = "local";
}
