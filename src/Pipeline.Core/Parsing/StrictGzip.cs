using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Pipeline.Parsing;

/// <summary>
/// Makes .NET's gzip decoder refuse a stream that ends before its last member does. By default <c>GZipStream</c> treats
/// the end of its input as the end of the data, even in the middle of a member or before its trailer: a log file cut
/// short (an interrupted copy or download) then reads as a shorter file, its CRC-32 never checked, and when the cut
/// falls after a complete JSON document or at a line of JSON lines, rows go missing without an error. With the
/// runtime's <c>System.IO.Compression.UseStrictValidation</c> switch on, such a stream fails with "Found truncated data
/// while decoding", which the reader reports as an incomplete file. The switch is read once, when the runtime's
/// deflate stream type is first used, so it is set both here, before any code of this assembly runs, and in the
/// runtime configuration of every executable (<c>RuntimeHostConfigurationOption</c>), before any code at all.
/// Log files are read by <see cref="GzipDecoder"/>, which applies the same rule itself; this switch covers
/// <c>GZipStream</c> where the decoder falls back to it.
/// </summary>
internal static class StrictGzip
{
    public const string Switch = "System.IO.Compression.UseStrictValidation";

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "This assembly is the application's core, not a library for others: every host of it must read gzip strictly.")]
    internal static void Enable() => AppContext.SetSwitch(Switch, true);
}
