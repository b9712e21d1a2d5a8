using System.Text;

namespace Pipeline.Parsing;

/// <summary>
/// Turns an object's body into its JSON bytes: gzip is recognised by its magic bytes (<c>1f 8b</c>), never by the
/// name or Content-Type, because S3 clients and proxies sometimes hand over an already-decompressed body. UTF-16 text
/// with a byte-order mark is transcoded to UTF-8. Any other first byte must look like JSON text.
/// </summary>
internal static class PayloadDecoder
{
    /// <summary>Wraps <paramref name="body"/> so that reading yields decompressed JSON bytes.</summary>
    /// <returns>The JSON stream, or an empty stream for an empty body.</returns>
    public static async ValueTask<Stream> OpenAsync(Stream body, string source, CancellationToken cancellationToken)
    {
        var head = new byte[2];
        var got = 0;
        while (got < head.Length)
        {
            var n = await body.ReadAsync(head.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            got += n;
        }

        var replay = new PrefixedStream(head, got, body);
        if (got == 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            return GzipDecoder.Open(replay);
        }

        if (got == 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF)))
        {
            // UTF-16 text with its byte-order mark: what Windows PowerShell 5.1's '>' writes (e.g. of lookup-events).
            // Transcoded while it streams; the mark comes through as a UTF-8 one, which the reader skips.
            return Encoding.CreateTranscodingStream(replay, head[0] == 0xFF ? Encoding.Unicode : Encoding.BigEndianUnicode, Encoding.UTF8, leaveOpen: false);
        }

        if (got > 0 && !LooksLikeJsonStart(head[0]))
        {
            throw new CloudTrailFormatException(
                source,
                0,
                null,
                $"not gzip and not JSON (first byte 0x{head[0]:x2}); expected a CloudTrail .json.gz log file")
            {
                NotALogDocument = true,
            };
        }

        return replay;
    }

    // JSON text starts with '{' (or '[' for a bare array of records) after optional whitespace or a UTF-8 byte-order mark.
    private static bool LooksLikeJsonStart(byte b) => b is (byte)'{' or (byte)'[' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF;
}
