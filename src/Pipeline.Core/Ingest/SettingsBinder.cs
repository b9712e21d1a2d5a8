using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Pipeline.Ingest;

/// <summary>
/// Binds one configuration section (<c>Sink</c>, <c>Reader</c>) to a new options object and checks its data
/// annotations, adding every problem to a list, named <c>Section:Setting</c>, instead of stopping at the first; so
/// <c>ingest</c> and <c>worker</c> report a bad setting the same way, all of them at once, before any work starts.
/// </summary>
internal static class SettingsBinder
{
    public static T Bind<T>(IConfiguration configuration, string section, List<string> problems)
        where T : new()
    {
        var options = new T();
        try
        {
            configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // A value that does not convert, e.g. "Failed to convert configuration value 'lots' at 'Sink:FlushBytes' to type 'System.Int64'."
            problems.Add(e.Message);
            return options;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            problems.AddRange(results.Select(r => $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage} Got {Value(options, r.MemberNames)}."));
        }

        return options;
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

    private static string Value(object options, IEnumerable<string> members) =>
        members.FirstOrDefault() is { } name && options.GetType().GetProperty(name)?.GetValue(options) is { } value
            ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "?"
            : "?";
}
