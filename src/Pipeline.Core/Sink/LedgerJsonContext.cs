using System.Text.Json.Serialization;

namespace Pipeline.Sink;

/// <summary>Source-generated JSON for ledger markers (no reflection at run time), one marker per line.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LedgerMarker))]
internal sealed partial class LedgerJsonContext : JsonSerializerContext;
