using Microsoft.Extensions.Configuration;
using Pipeline.Analysis;
using Pipeline.Ingest.Worker;
using Pipeline.Parsing;
using Pipeline.Sink;

namespace Pipeline.Ingest;

/// <summary>
/// Binds one configuration section (<c>Sink</c>, <c>Reader</c>) to a new options object and checks its data
/// annotations, adding every problem to a list, named <c>Section:Setting</c>, instead of stopping at the first; so
/// <c>ingest</c> and <c>worker</c> report a bad setting the same way, all of them at once, before any work starts.
/// </summary>
internal static class SettingsBinder
{
    public static SinkOptions Sink(IConfiguration configuration, List<string> problems) =>
        Bind<SinkOptions>(configuration, SinkOptions.Section, problems, static (values, options) => values.Bind(options));

    public static ReaderOptions Reader(IConfiguration configuration, List<string> problems) =>
        Bind<ReaderOptions>(configuration, ReaderOptions.Section, problems, static (values, options) => values.Bind(options));

    public static WorkerOptions Worker(IConfiguration configuration, List<string> problems) =>
        Bind<WorkerOptions>(configuration, WorkerOptions.Section, problems, static (values, options) => values.Bind(options));

    public static AnalysisOptions Analysis(IConfiguration configuration, string section, List<string> problems)
    {
        var options = Bind<AnalysisOptions>(configuration, section, problems, static (values, options) => values.Bind(options));

        // Keys and values of a dictionary are not checked by the binder: a misspelt kind or severity was ignored in silence.
        foreach (var (kind, severity) in options.SeverityOverrides)
        {
            var name = $"{section}:{nameof(AnalysisOptions.SeverityOverrides)}:{kind}";
            if (!FindingKind.All.Contains(kind, StringComparer.Ordinal))
            {
                var near = FindingKind.All.OrderBy(k => Distance(k, kind.ToLowerInvariant())).First();
                var hint = Distance(near, kind.ToLowerInvariant()) <= 3 ? $" Did you mean {near}?" : string.Empty;
                problems.Add($"{name}: '{kind}' is not a finding kind.{hint} The kinds are {string.Join(", ", FindingKind.All)}.");
            }

            if (!SeverityText.TryParse(severity, out _))
            {
                problems.Add($"{name}: '{severity}' is not a severity: use critical, high, medium, low or info.");
            }
        }

        foreach (var account in options.KnownAccounts.Where(a => !IsAccountId(a)))
        {
            problems.Add($"{section}:{nameof(AnalysisOptions.KnownAccounts)}: '{account}' is not a 12-digit AWS account id.");
        }

        foreach (var pattern in options.AllowedPrincipals.Where(PrincipalAllowList.MatchesEverything))
        {
            problems.Add($"{section}:{nameof(AnalysisOptions.AllowedPrincipals)}: '{pattern}' matches every principal and would silence every behavioural finding; name principals, or a pattern such as arn:aws:iam::111122223333:role/OrdersStack-*.");
        }

        foreach (var organization in options.KnownOrganizations.Where(o => !IsOrganizationId(o)))
        {
            problems.Add($"{section}:{nameof(AnalysisOptions.KnownOrganizations)}: '{organization}' is not an organization id (o- and 10 to 32 letters or digits).");
        }

        return options;
    }

    /// <summary>An AWS account id: 12 digits.</summary>
    public static bool IsAccountId(string text) => text.Length == 12 && text.All(char.IsAsciiDigit);

    /// <summary>An AWS Organizations id: <c>o-</c> and 10 to 32 letters or digits (AWS writes them in lower case; the report lower-cases them).</summary>
    public static bool IsOrganizationId(string text) =>
        text.Length is >= 12 and <= 34 && text.StartsWith("o-", StringComparison.OrdinalIgnoreCase) && !text.AsSpan(2).ContainsAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

    /// <param name="bind">Binds a section to an options object of its own type: a call the configuration binding source
    /// generator replaces with code for that type (no reflection at start-up; see Pipeline.Core.csproj).</param>
    private static T Bind<T>(IConfiguration configuration, string section, List<string> problems, Action<IConfiguration, T> bind)
        where T : new()
    {
        var options = new T();
        var values = configuration.GetSection(section);
        try
        {
            bind(values, options);
        }
        catch (InvalidOperationException)
        {
            // Values that do not convert, e.g. "Failed to convert configuration value 'lots' at 'Sink:FlushBytes' to type
            // 'System.Int64'.": the binder stops at the first, so each value is tried alone, every one that fails is
            // reported, and the others are bound and checked as usual.
            var entries = values.AsEnumerable().Where(e => e.Value is not null).ToList();
            var bound = new List<KeyValuePair<string, string?>>(entries.Count);
            foreach (var entry in entries)
            {
                try
                {
                    bind(new ConfigurationBuilder().AddInMemoryCollection([entry]).Build().GetSection(section), new T());
                    bound.Add(entry);
                }
                catch (InvalidOperationException e)
                {
                    problems.Add(NotConverted(entry.Key, entry.Value!, e.Message));
                }
            }

            options = new T();
            bind(new ConfigurationBuilder().AddInMemoryCollection(bound).Build().GetSection(section), options);
        }

        // A misspelt name would otherwise be ignored and its default used without a word.
        var names = typeof(T).GetProperties().Where(p => p.CanWrite).Select(p => p.Name).ToList();
        foreach (var child in values.GetChildren())
        {
            if (!names.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                var near = names.OrderBy(n => Distance(n.ToUpperInvariant(), child.Key.ToUpperInvariant())).First();
                var hint = Distance(near.ToUpperInvariant(), child.Key.ToUpperInvariant()) <= 3 ? $" Did you mean {section}:{near}?" : string.Empty;
                problems.Add($"{section}:{child.Key} is not a setting.{hint} The settings of {section} are {string.Join(", ", names)}.");
            }
        }

        problems.AddRange(AnnotationChecks.Check(options).Select(r => OutOfRange(section, r.MemberNames.ToList(), r.ErrorMessage, Value(options, r.MemberNames), values)));

        return options;
    }

    /// <summary>
    /// The binder's "Failed to convert configuration value 'x' at 'Sink:FlushAge' to type 'System.TimeSpan'." said with
    /// the setting first and the kind of value it takes, as the other problems are.
    /// </summary>
    internal static string NotConverted(string key, string value, string binderMessage)
    {
        var type = System.Text.RegularExpressions.Regex.Match(binderMessage, @"to type '([^']+)'").Groups[1].Value;
        var expected = type switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Double" => "a number",
            "System.Boolean" => "true or false",
            "System.TimeSpan" => "a duration such as 00:05:00 (hh:mm:ss) or 1.00:00:00 (one day)",
            _ => null,
        };
        return expected is null ? $"{key}: {binderMessage}" : $"{key}: '{value}' is not {expected}.";
    }

    /// <summary>A settings file that cannot be read, with the reasons nested inside (e.g. the JSON error and its line).</summary>
    public static string Describe(InvalidDataException e)
    {
        var reasons = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            reasons.Add(x.Message);
        }

        return string.Join(" ", reasons);
    }

    /// <summary>Levenshtein distance: how many single-character edits turn one name into the other.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    /// <summary>
    /// A value outside its range, said as the worker's own settings say it ("Sink:FlushAge must be between 00:00:01 and
    /// 06:00:00, got 5.00:00:00."), not as the validator does ("The field FlushAge must be …"). A duration written as a
    /// bare number was read as days, which is worth saying.
    /// </summary>
    private static string OutOfRange(string section, IReadOnlyList<string> members, string? message, string value, IConfiguration values)
    {
        var name = members.Count > 0 ? members[0] : "?";
        var text = (message ?? "is not valid").TrimEnd('.');
        var field = $"The field {name} ";
        text = text.StartsWith(field, StringComparison.Ordinal) ? text[field.Length..] : text;
        var raw = values.GetChildren().FirstOrDefault(c => string.Equals(c.Key, name, StringComparison.OrdinalIgnoreCase))?.Value;
        var days = raw is not null && !raw.Contains(':', StringComparison.Ordinal) && value.Contains(':', StringComparison.Ordinal)
            ? $" ('{raw}' is read as days: 00:00:{raw.PadLeft(2, '0')} would be {raw} seconds)"
            : string.Empty;
        return $"{section}:{name} {text}, got {value}.{days}";
    }

    private static string Value(object options, IEnumerable<string> members) =>
        members.FirstOrDefault() is { } name && options.GetType().GetProperty(name)?.GetValue(options) is { } value
            ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "?"
            : "?";
}
