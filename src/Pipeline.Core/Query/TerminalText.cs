using System.Globalization;
using System.Text;

namespace Pipeline.Query;

/// <summary>
/// Makes untrusted text inert on a terminal: CloudTrail fields such as user_agent are attacker-controlled, and an
/// ANSI escape or a bidi override printed raw could rewrite what the operator sees.
/// </summary>
internal static class TerminalText
{
    public static string Escape(string value)
    {
        var i = 0;
        while (i < value.Length && !NeedsEscape(value[i]))
        {
            i++;
        }

        if (i == value.Length)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 16).Append(value, 0, i);
        for (; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (!NeedsEscape(c))
                    {
                        sb.Append(c);
                    }
                    else if (c <= 0xFF)
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>C0/C1 controls, DEL, bidi embeddings/overrides/isolates, line/paragraph separators, lone surrogates.</summary>
    private static bool NeedsEscape(char c) =>
        c < 0x20 || (c >= 0x7F && c <= 0x9F)
        || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069') || c == '\u200E' || c == '\u200F'
        || c == '\u2028' || c == '\u2029' || c == '\u061C';
}
