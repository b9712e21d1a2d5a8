namespace Pipeline.Parsing;

/// <summary>Removes insignificant whitespace from valid JSON so stored JSON columns are compact and canonical in layout.</summary>
internal static class JsonMinifier
{
    /// <summary>Returns <paramref name="json"/> itself when it has no whitespace outside strings, else a minified copy in <paramref name="scratch"/>.</summary>
    public static ReadOnlySpan<byte> Minify(ReadOnlySpan<byte> json, ref byte[] scratch)
    {
        if (!NeedsMinify(json))
        {
            return json;
        }

        if (scratch.Length < json.Length)
        {
            scratch = new byte[Math.Max(json.Length, scratch.Length * 2)];
        }

        var w = 0;
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (inString)
            {
                scratch[w++] = b;
                if (b == (byte)'\\')
                {
                    scratch[w++] = json[++i];
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                scratch[w++] = b;
                inString = b == (byte)'"';
            }
        }

        return scratch.AsSpan(0, w);
    }

    private static bool NeedsMinify(ReadOnlySpan<byte> json)
    {
        // Fast path: CloudTrail writes minified JSON, so usually there is no whitespace byte except inside strings.
        if (json.IndexOfAny((byte)'\n', (byte)'\r', (byte)'\t') >= 0)
        {
            return true;
        }

        if (json.IndexOf((byte)' ') < 0)
        {
            return false;
        }

        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (inString)
            {
                if (b == (byte)'\\')
                {
                    i++;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b == (byte)'"')
            {
                inString = true;
            }
            else if (b == (byte)' ')
            {
                return true;
            }
        }

        return false;
    }
}
