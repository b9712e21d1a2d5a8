using System.Globalization;

namespace Pipeline.Parsing;

/// <summary>Parses CloudTrail <c>eventTime</c> values to UTC <see cref="DateTime"/>, fast for the usual form.</summary>
internal static class CloudTrailTimestamp
{
    /// <summary>
    /// Accepts <c>yyyy-MM-ddTHH:mm:ss[.fffffff]Z</c> without allocating, and otherwise any ISO-8601 form with an offset
    /// (converted to UTC). A time without zone is taken as UTC, since CloudTrail writes UTC.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out DateTime utc)
    {
        if (TryParseFast(utf8, out utc))
        {
            return true;
        }

        if (utf8.Length > 64)
        {
            return false;
        }

        Span<char> chars = stackalloc char[utf8.Length];
        for (var i = 0; i < utf8.Length; i++)
        {
            chars[i] = (char)utf8[i];
        }

        if (DateTimeOffset.TryParse(chars, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto))
        {
            utc = dto.UtcDateTime;
            return true;
        }

        return false;
    }

    private static bool TryParseFast(ReadOnlySpan<byte> s, out DateTime utc)
    {
        utc = default;
        if (s.Length < 20 || s[^1] != (byte)'Z' || s[4] != (byte)'-' || s[7] != (byte)'-' || s[10] != (byte)'T' || s[13] != (byte)':' || s[16] != (byte)':')
        {
            return false;
        }

        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day) ||
            !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        long fractionTicks = 0;
        var fracLen = s.Length - 20;
        if (fracLen > 0)
        {
            if (s[19] != (byte)'.' || fracLen - 1 is < 1 or > 7 || !Digits(s, 20, fracLen - 1, out var fraction))
            {
                return false;
            }

            fractionTicks = fraction;
            for (var i = fracLen - 1; i < 7; i++)
            {
                fractionTicks *= 10;
            }
        }
        else if (s[19] != (byte)'Z')
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || year < 1)
        {
            return false;
        }

        utc = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(fractionTicks);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = s[i] - (byte)'0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }
}
