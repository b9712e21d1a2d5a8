using System.Text.Json.Serialization;

namespace Pipeline.Sink;

/// <summary>Source-generated JSON for ledger markers (no reflection at run time).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(LedgerMarker))]
internal sealed partial class LedgerJsonContext : JsonSerializerContext;
