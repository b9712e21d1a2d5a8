namespace Pipeline.Analysis;

/// <summary>
/// The principals the behavioural findings leave out (<c>Report:AllowedPrincipals</c>): exact principals, or patterns
/// in which <c>*</c> stands for any run of characters, for roles whose names a deployment tool makes anew on every
/// deployment (<c>arn:aws:iam::111122223333:role/OrdersStack-ApiRole-*</c>). Matching is ordinal, as ARNs compare.
/// </summary>
internal sealed class PrincipalAllowList
{
    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly List<string[]> _patterns = [];

    public PrincipalAllowList(IEnumerable<string> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Contains('*', StringComparison.Ordinal))
            {
                _patterns.Add(entry.Split('*'));
            }
            else
            {
                _exact.Add(entry);
            }
        }
    }

    /// <summary>Whether an entry is a pattern that every principal matches (only <c>*</c>): it would silence every behavioural finding.</summary>
    public static bool MatchesEverything(string entry) => entry.Length > 0 && entry.AsSpan().IndexOfAnyExcept('*') < 0;

    public bool Contains(string? principal)
    {
        if (principal is null)
        {
            return false;
        }

        if (_exact.Contains(principal))
        {
            return true;
        }

        foreach (var parts in _patterns)
        {
            if (Matches(principal, parts))
            {
                return true;
            }
        }

        return false;
    }

    // parts: the pattern split at its '*'s; the first must start the text, the last must end it, the others appear in
    // order in between (leftmost match of each is enough for a pattern with no other wildcard).
    private static bool Matches(string text, string[] parts)
    {
        var first = parts[0];
        var last = parts[^1];
        if (text.Length < first.Length + last.Length || !text.StartsWith(first, StringComparison.Ordinal) || !text.EndsWith(last, StringComparison.Ordinal))
        {
            return false;
        }

        var position = first.Length;
        var end = text.Length - last.Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            if (parts[i].Length == 0)
            {
                continue;
            }

            var found = text.IndexOf(parts[i], position, end - position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        return true;
    }
}
