namespace Pipeline.Generation;

/// <summary>Formats CloudTrail timestamps into a byte span without allocating (eventTime is written for every record).</summary>
internal static class TimeText
{
    /// <summary>Writes <c>yyyy-MM-ddTHH:mm:ssZ</c>, or with <c>.fffZ</c> when the time has milliseconds.</summary>
    public static int Iso(DateTime t, Span<byte> dest)
    {
        Two(dest, 0, t.Year / 100);
        Two(dest, 2, t.Year % 100);
        dest[4] = (byte)'-';
        Two(dest, 5, t.Month);
        dest[7] = (byte)'-';
        Two(dest, 8, t.Day);
        dest[10] = (byte)'T';
        Two(dest, 11, t.Hour);
        dest[13] = (byte)':';
        Two(dest, 14, t.Minute);
        dest[16] = (byte)':';
        Two(dest, 17, t.Second);
        if (t.Millisecond == 0)
        {
            dest[19] = (byte)'Z';
            return 20;
        }

        dest[19] = (byte)'.';
        dest[20] = (byte)('0' + (t.Millisecond / 100));
        Two(dest, 21, t.Millisecond % 100);
        dest[23] = (byte)'Z';
        return 24;
    }

    /// <summary>KMS writes dates in responseElements in this human form, e.g. <c>Jan 15, 2026, 10:05:12 AM</c>.</summary>
    public static string Human(DateTime t) => t.ToString("MMM d, yyyy, h:mm:ss tt", System.Globalization.CultureInfo.InvariantCulture);

    private static void Two(Span<byte> d, int at, int v)
    {
        d[at] = (byte)('0' + (v / 10));
        d[at + 1] = (byte)('0' + (v % 10));
    }
}
